//! What a web request can fail with, and the status each failure answers: the user's own
//! mistakes (a query that does not parse, an unknown stored query, a bad date) are 4xx with a
//! message meant for them; Vigil's own failures (the index, the state database, a task that
//! died) are 500 with a generic message, and their whole cause chain goes to the log, never to
//! the client.

use axum::http::StatusCode;
use std::error::Error;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The request itself is wrong: the message says how, for the person who made it.
    #[error("{0}")]
    BadRequest(String),
    /// What the request names does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The request's budget ran out (time or memory): the message says how to narrow it.
    #[error("{0}")]
    OverBudget(crate::budget::Spent),
    /// Every slot for such requests stayed busy for the request's whole budget.
    #[error("the server is busy with other searches; try again in a moment")]
    Busy,
    /// Vigil failed: logged with its cause chain, answered with a generic message.
    #[error("{what}")]
    Internal {
        what: &'static str,
        #[source]
        cause: Box<dyn Error + Send + Sync>,
    },
}

impl WebError {
    /// Vigil's own failure at `what` (lowercase, names the step), keeping the cause.
    pub fn internal(what: &'static str, cause: impl Into<Box<dyn Error + Send + Sync>>) -> Self {
        WebError::Internal {
            what,
            cause: cause.into(),
        }
    }

    /// The status the failure answers.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::OverBudget(_) | WebError::Busy => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message the client sees. An internal failure is logged here, with its chain, and
    /// the client learns only that the server failed.
    pub fn public_message(&self) -> String {
        match self {
            WebError::BadRequest(message) | WebError::NotFound(message) => message.clone(),
            WebError::OverBudget(_) | WebError::Busy => self.to_string(),
            WebError::Internal { what, cause } => {
                let mut chain = cause.to_string();
                let mut next = cause.source();
                while let Some(inner) = next {
                    chain.push_str(": ");
                    chain.push_str(&inner.to_string());
                    next = inner.source();
                }
                tracing::error!(error = %chain, "{what} failed");
                format!("{what} failed on the server; the cause is in its log")
            }
        }
    }
}

impl From<crate::index::IndexError> for WebError {
    fn from(error: crate::index::IndexError) -> Self {
        match error {
            crate::index::IndexError::OverBudget(spent) => WebError::OverBudget(spent),
            error => WebError::internal("reading the index", error),
        }
    }
}

impl From<crate::store::StoreError> for WebError {
    fn from(error: crate::store::StoreError) -> Self {
        WebError::internal("reading the state database", error)
    }
}

impl From<crate::detect::DetectError> for WebError {
    fn from(error: crate::detect::DetectError) -> Self {
        WebError::internal("assembling narratives", error)
    }
}

impl From<crate::alert::AlertError> for WebError {
    fn from(error: crate::alert::AlertError) -> Self {
        WebError::internal("building the digest", error)
    }
}

impl From<crate::alert::digest::DigestError> for WebError {
    fn from(error: crate::alert::digest::DigestError) -> Self {
        WebError::internal("building the digest", error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_mistakes_are_4xx_and_own_failures_500_without_their_cause() {
        let cause = std::io::Error::other("disk /srv/vigil/index full");
        let cases = [
            (
                WebError::BadRequest("invalid query".into()),
                400,
                "invalid query",
            ),
            (
                WebError::NotFound("no narrative \"x\"".into()),
                404,
                "no narrative \"x\"",
            ),
            (
                WebError::internal("reading the index", cause),
                500,
                "reading the index failed on the server; the cause is in its log",
            ),
        ];
        for (error, status, message) in cases {
            assert_eq!(error.status().as_u16(), status);
            assert_eq!(error.public_message(), message);
        }
    }
}
