//! Typed errors with a source location, turned into one diagnostic at the FFI
//! boundary. Every message names the construct and suggests a fix.

use ferment_ir::Value;
use std::fmt;

#[derive(Debug, Clone)]
pub struct Error {
    /// `file:line:col` from debug info, when present.
    pub location: Option<String>,
    /// Function being differentiated, for context.
    pub function: Option<String>,
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
    /// Batched forward mode: the construct is one the width-N generator does
    /// not cover yet (the request then goes lane by lane), not an error of
    /// the program.
    pub not_batched: bool,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error {
            location: None,
            function: None,
            message: message.into(),
            hint: None,
            not_batched: false,
        }
    }
    /// An error located at instruction (or function) `at`.
    pub fn at(at: Value, message: impl Into<String>) -> Error {
        Error {
            location: at.source_location(),
            function: None,
            message: message.into(),
            hint: None,
            not_batched: false,
        }
    }
    /// Batched mode does not cover the construct yet (see
    /// [`Error::not_batched`]).
    pub fn not_batched(at: Value, what: impl Into<String>) -> Error {
        Error {
            not_batched: true,
            ..Error::at(
                at,
                format!(
                    "batched mode (enzyme_width > 1) does not cover {} yet",
                    what.into()
                ),
            )
        }
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Error {
        self.hint = Some(hint.into());
        self
    }
    pub fn in_function(mut self, name: &str) -> Error {
        if self.function.is_none() {
            self.function = Some(name.to_string());
        }
        self
    }
    /// Uses `at`'s location when the error has none yet.
    pub fn or_at(mut self, at: Value) -> Error {
        if self.location.is_none() {
            self.location = at.source_location();
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        write!(f, "ferment: {}", self.message)?;
        if let Some(func) = &self.function {
            write!(f, " (while differentiating '{func}')")?;
        }
        if let Some(h) = &self.hint {
            write!(f, "\n  help: {h}")?;
        }
        Ok(())
    }
}
