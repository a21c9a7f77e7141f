#![doc = include_str!("docs/guide/README.md")]

#[doc = include_str!("docs/guide/two_styles.md")]
pub mod two_styles {}

#[doc = include_str!("docs/guide/shutdown.md")]
pub mod shutdown {}

#[doc = include_str!("docs/guide/periodic.md")]
pub mod periodic {}

#[doc = include_str!("docs/guide/serving.md")]
pub mod serving {}

#[doc = include_str!("docs/guide/auth.md")]
pub mod auth {}
