//! The crate's logs through `tracing` (feature `tracing`, on by default); without the
//! feature every log line compiles to nothing and `tracing` is not a dependency.

#[cfg(feature = "tracing")]
macro_rules! debug { ($($t:tt)*) => { ::tracing::debug!($($t)*) } }
#[cfg(feature = "tracing")]
macro_rules! info { ($($t:tt)*) => { ::tracing::info!($($t)*) } }
#[cfg(feature = "tracing")]
macro_rules! warning { ($($t:tt)*) => { ::tracing::warn!($($t)*) } }
/// Whether logs at `$level` (`DEBUG`, `INFO`) are wanted, to skip work done only for them.
#[cfg(feature = "tracing")]
macro_rules! enabled {
    ($level:ident) => {
        ::tracing::enabled!(::tracing::Level::$level)
    };
}

#[cfg(not(feature = "tracing"))]
macro_rules! debug {
    ($($t:tt)*) => {
        ()
    };
}
#[cfg(not(feature = "tracing"))]
macro_rules! info {
    ($($t:tt)*) => {
        ()
    };
}
#[cfg(not(feature = "tracing"))]
macro_rules! warning {
    ($($t:tt)*) => {
        ()
    };
}
#[cfg(not(feature = "tracing"))]
macro_rules! enabled {
    ($level:ident) => {
        false
    };
}

pub(crate) use {debug, enabled, info, warning};
