//! Validation of account fields, shared by the admin form and the server.

use serde::{Deserialize, Serialize};

/// A field that failed validation: which one, and a stable code the front end
/// translates (the server also sends an English message for API clients).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub code: &'static str,
    pub message: &'static str,
}

impl FieldError {
    fn new(field: &'static str, code: &'static str, message: &'static str) -> Self {
        Self {
            field,
            code,
            message,
        }
    }
}

pub const PASSWORD_MIN_CHARS: usize = 10;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Usernames are 3–32 characters of lowercase ASCII letters, digits, `.`, `_`
/// and `-`, starting with a letter: easy to type on a phone and unambiguous.
pub fn validate_username(username: &str) -> Result<(), FieldError> {
    let len = username.chars().count();
    if !(3..=32).contains(&len) {
        return Err(FieldError::new(
            "username",
            "username_length",
            "must be 3 to 32 characters",
        ));
    }
    let mut chars = username.chars();
    let first_is_letter = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    let rest_ok = username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !first_is_letter || !rest_ok {
        return Err(FieldError::new(
            "username",
            "username_chars",
            "must start with a lowercase letter and contain only a-z, 0-9, '.', '_' and '-'",
        ));
    }
    Ok(())
}

pub fn validate_password(password: &str) -> Result<(), FieldError> {
    let len = password.chars().count();
    if len < PASSWORD_MIN_CHARS {
        return Err(FieldError::new(
            "password",
            "password_too_short",
            "must be at least 10 characters",
        ));
    }
    if len > PASSWORD_MAX_CHARS {
        return Err(FieldError::new(
            "password",
            "password_too_long",
            "must be at most 128 characters",
        ));
    }
    Ok(())
}

pub fn validate_display_name(name: &str) -> Result<(), FieldError> {
    let trimmed = name.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 64 {
        return Err(FieldError::new(
            "display_name",
            "display_name_length",
            "must be 1 to 64 characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_checked_for_length_and_characters() {
        assert!(validate_username("wang.li").is_ok());
        assert!(validate_username("officer_01").is_ok());
        assert_eq!(validate_username("ab").unwrap_err().code, "username_length");
        assert_eq!(
            validate_username("1abc").unwrap_err().code,
            "username_chars"
        );
        assert_eq!(
            validate_username("Wang").unwrap_err().code,
            "username_chars"
        );
        assert_eq!(
            validate_username("王力力").unwrap_err().code,
            "username_chars"
        );
    }

    #[test]
    fn passwords_need_ten_characters() {
        assert!(validate_password("correct horse").is_ok());
        assert_eq!(
            validate_password("short").unwrap_err().code,
            "password_too_short"
        );
        // Ten Chinese characters are ten characters, not thirty bytes.
        assert!(validate_password("救助救助救助救助救助").is_ok());
    }

    #[test]
    fn display_names_are_not_blank() {
        assert!(validate_display_name("王检察官").is_ok());
        assert!(validate_display_name("   ").is_err());
    }
}
