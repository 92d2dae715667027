//! Task statuses as Looker names them, one enum per kind of task. The strings are what the API
//! shows and what the tasks tables hold; nothing above this crate compares status strings.

use std::fmt;

macro_rules! statuses {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Looker's name for it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }
    };
}

statuses! {
    /// A query task's status.
    QueryTaskStatus {
        /// Waiting for a worker (or, `deferred`, for its results to be asked for).
        Added = "added",
        /// Claimed, waiting for its connection's `max_queries`.
        Pending = "pending",
        Running = "running",
        Complete = "complete",
        Error = "error",
        Killed = "killed",
    }
}

statuses! {
    /// A render task's status.
    RenderTaskStatus {
        EnqueuedForQuery = "enqueued_for_query",
        Querying = "querying",
        EnqueuedForRender = "enqueued_for_render",
        Rendering = "rendering",
        Success = "success",
        Failure = "failure",
    }
}

impl QueryTaskStatus {
    /// Complete, failed or killed: it changes no more.
    pub fn is_finished(self) -> bool {
        matches!(self, QueryTaskStatus::Complete | QueryTaskStatus::Error | QueryTaskStatus::Killed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in QueryTaskStatus::ALL {
            assert_eq!(QueryTaskStatus::parse(s.as_str()), Some(*s));
        }
        for s in RenderTaskStatus::ALL {
            assert_eq!(RenderTaskStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(QueryTaskStatus::parse("done"), None);
        assert!(QueryTaskStatus::Killed.is_finished() && !QueryTaskStatus::Pending.is_finished());
    }
}
