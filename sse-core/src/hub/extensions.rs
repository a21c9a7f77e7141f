//! [`Extensions`]: one value of each type, kept with the hub for code built on it
//! ([`Hub::extension`](super::Hub::extension)).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use super::locks::lock;

/// A map from a type to the hub's one value of it.
#[derive(Default)]
pub(super) struct Extensions {
    values: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl Extensions {
    /// The value of type `T`, made by `make` if there is none yet.
    pub(super) fn get_or_insert_with<T: Send + Sync + 'static>(
        &self,
        make: impl FnOnce() -> T,
    ) -> Arc<T> {
        let mut values = lock(&self.values);
        let value = values
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(make()))
            .clone();
        drop(values);
        match value.downcast::<T>() {
            Ok(value) => value,
            // The map's key is the value's own TypeId, so the downcast succeeds.
            Err(_) => unreachable!("invariant: an extension stored under another type's id"),
        }
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions")
            .field("len", &lock(&self.values).len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_type() {
        let extensions = Extensions::default();
        let first = extensions.get_or_insert_with(|| 1_u32);
        let again = extensions.get_or_insert_with(|| 2_u32);
        assert!(Arc::ptr_eq(&first, &again));
        assert_eq!(*extensions.get_or_insert_with(|| "text"), "text");
        assert_eq!(*again, 1);
    }
}
