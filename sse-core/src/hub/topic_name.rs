//! [`TopicName`]: a topic name that is valid by construction.

use std::fmt;
use std::sync::Arc;

use super::HubError;

/// A topic name: 1 to 128 bytes of ASCII letters, digits and `_ - . : / @`.
///
/// The set is small on purpose: a topic name travels in query strings, JSON and Redis keys
/// without escaping. A `TopicName` is checked when it is made, so holding one means it is
/// valid; it is cheap to clone.
///
/// ```
/// use sse_core::hub::TopicName;
/// let topic = TopicName::new("user:42/inbox")?;
/// assert_eq!(topic.as_str(), "user:42/inbox");
/// assert!(TopicName::new("a b").is_err());
/// # Ok::<(), sse_core::HubError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicName(Arc<str>);

impl TopicName {
    /// The longest topic name, in bytes.
    pub const MAX_LEN: usize = 128;

    /// Checks `name`; [`HubError::InvalidTopic`] says what is wrong with it.
    pub fn new(name: &str) -> Result<TopicName, HubError> {
        let reason = if name.is_empty() {
            "a topic name cannot be empty"
        } else if name.len() > Self::MAX_LEN {
            "a topic name is at most 128 bytes"
        } else if !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:/@".contains(&b))
        {
            "a topic name may contain only ASCII letters, digits and _ - . : / @"
        } else {
            return Ok(TopicName(name.into()));
        };
        Err(HubError::InvalidTopic {
            topic: name.chars().take(200).collect(),
            reason,
        })
    }

    /// A topic name built from parts that may hold anything a user typed (an id, an email,
    /// a room title): the parts joined with `/`, each escaped so that no two lists of parts
    /// give the same name (`["a/b"]` and `["a", "b"]` differ, `["user:1", "x"]` cannot pass
    /// for `["user", "1:x"]`). Letters, digits and `_ - .` stay as they are; every other byte
    /// (`/`, `:`, `@` included) is written `@` and two hex digits. Too long a result (over
    /// [`MAX_LEN`](Self::MAX_LEN)) is [`HubError::InvalidTopic`], as is an empty list.
    ///
    /// ```
    /// use sse_core::hub::TopicName;
    ///
    /// let inbox = TopicName::from_parts(["user", "ada@example.com", "inbox"])?;
    /// assert_eq!(inbox.as_str(), "user/ada@40example.com/inbox");
    /// assert_ne!(
    ///     TopicName::from_parts(["rooms", "a/b"])?,
    ///     TopicName::from_parts(["rooms", "a", "b"])?,
    /// );
    /// # Ok::<(), sse_core::HubError>(())
    /// ```
    pub fn from_parts<I>(parts: I) -> Result<TopicName, HubError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        use std::fmt::Write;
        let mut name = String::new();
        for (n, part) in parts.into_iter().enumerate() {
            if n > 0 {
                name.push('/');
            }
            for byte in part.as_ref().bytes() {
                if byte.is_ascii_alphanumeric() || b"_-.".contains(&byte) {
                    name.push(char::from(byte));
                } else {
                    // invariant: writing to a String cannot fail.
                    let _ = write!(name, "@{byte:02x}");
                }
            }
            if name.len() > Self::MAX_LEN {
                break; // too long already: `new` says so
            }
        }
        TopicName::new(&name)
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks a subscription's topics: each valid, duplicates dropped, at least one and at
    /// most `max`.
    pub(crate) fn list<I>(topics: I, max: usize) -> Result<Vec<TopicName>, HubError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let mut names: Vec<TopicName> = Vec::new();
        for name in topics {
            let name = name.as_ref();
            if names.iter().any(|known| known.as_str() == name) {
                continue;
            }
            let name = TopicName::new(name)?;
            if names.len() == max {
                return Err(HubError::TooManyTopicsInSubscription {
                    count: names.len() + 1,
                    max,
                });
            }
            names.push(name);
        }
        if names.is_empty() {
            return Err(HubError::NoTopics);
        }
        Ok(names)
    }
}

impl std::ops::Deref for TopicName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for TopicName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for TopicName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

/// What [`Hub::publish`](super::Hub::publish) takes as its topic: a name to check (`&str`,
/// `String`), or a [`TopicName`] already checked, which is not checked again.
///
/// ```
/// use sse_core::{Event, Hub};
/// use sse_core::hub::TopicName;
///
/// # futures_util::FutureExt::now_or_never(async {
/// let hub = Hub::new();
/// let news = TopicName::new("news")?;
/// hub.publish(&news, Event::new("checked once")).await?;
/// hub.publish("news", Event::new("checked here")).await?;
/// # Ok::<(), sse_core::HubError>(())
/// # }).unwrap().unwrap();
/// ```
pub trait IntoTopicName {
    /// The topic's name, checked.
    fn into_topic_name(self) -> Result<TopicName, HubError>;
}

impl IntoTopicName for TopicName {
    fn into_topic_name(self) -> Result<TopicName, HubError> {
        Ok(self)
    }
}

impl IntoTopicName for &TopicName {
    fn into_topic_name(self) -> Result<TopicName, HubError> {
        Ok(self.clone())
    }
}

impl IntoTopicName for &str {
    fn into_topic_name(self) -> Result<TopicName, HubError> {
        TopicName::new(self)
    }
}

impl IntoTopicName for &String {
    fn into_topic_name(self) -> Result<TopicName, HubError> {
        TopicName::new(self)
    }
}

impl IntoTopicName for String {
    fn into_topic_name(self) -> Result<TopicName, HubError> {
        TopicName::new(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_parts_do_not_collide() {
        let lists: [&[&str]; 9] = [
            &["a/b"],
            &["a", "b"],
            &["a@2fb"],
            &["user:1", "x"],
            &["user", "1:x"],
            &["a", ""],
            &["a"],
            &["", "a"],
            &["@"],
        ];
        let names: Vec<TopicName> = lists
            .iter()
            .map(|parts| TopicName::from_parts(*parts).unwrap())
            .collect();
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert!(TopicName::from_parts(Vec::<&str>::new()).is_err());
        assert!(TopicName::from_parts(["x".repeat(200)]).is_err());
        assert_eq!(TopicName::from_parts(["ok"]).unwrap().as_str(), "ok");
    }

    #[test]
    fn topic_names() {
        for good in ["a", "chat", "user:42/inbox", "a.b-c_d@e", &"x".repeat(128)] {
            assert!(TopicName::new(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "a b",
            "é",
            "a\n",
            "a?b",
            "a&b",
            "a\"b",
            &"x".repeat(129),
        ] {
            assert!(
                matches!(TopicName::new(bad), Err(HubError::InvalidTopic { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn lists_drop_duplicates_and_respect_the_limit() {
        let names = TopicName::list(["a", "b", "a"], 2).unwrap();
        assert_eq!(
            names.iter().map(TopicName::as_str).collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert!(matches!(
            TopicName::list(["a", "b", "c"], 2),
            Err(HubError::TooManyTopicsInSubscription { count: 3, max: 2 })
        ));
        assert_eq!(TopicName::list::<[&str; 0]>([], 2), Err(HubError::NoTopics));
    }
}
