//! Resident ID numbers (居民身份证号码, GB 11643-1999): checksum and masking.

/// A valid 18-character resident ID number, upper-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("must be 17 digits followed by a digit or X")]
    Format,
    #[error("check digit does not match")]
    Checksum,
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

impl ResidentId {
    pub fn parse(text: &str) -> Result<ResidentId, ResidentIdError> {
        let upper = text.trim().to_ascii_uppercase();
        let chars: Vec<char> = upper.chars().collect();
        if chars.len() != 18
            || !chars[..17].iter().all(char::is_ascii_digit)
            || !(chars[17].is_ascii_digit() || chars[17] == 'X')
        {
            return Err(ResidentIdError::Format);
        }
        if check_char(&chars[..17]) != chars[17] {
            return Err(ResidentIdError::Checksum);
        }
        Ok(ResidentId(upper))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first four and last four characters, the rest hidden: 3301**********1234.
    pub fn masked(&self) -> String {
        mask_id_number(&self.0)
    }
}

/// Appends the check character to 17 digits (for generated test and demo data).
pub fn with_check_char(first17: &str) -> Option<String> {
    let chars: Vec<char> = first17.chars().collect();
    if chars.len() != 17 || !chars.iter().all(char::is_ascii_digit) {
        return None;
    }
    Some(format!("{first17}{}", check_char(&chars)))
}

fn check_char(first17: &[char]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// Masks any ID-like text, valid or not, keeping four characters at each end.
pub fn mask_id_number(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - 8;
    chars[..4]
        .iter()
        .chain(std::iter::repeat_n(&'*', hidden))
        .chain(chars[chars.len() - 4..].iter())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // A well-known specimen number from the standard's examples.
    const VALID: &str = "11010519491231002X";

    #[test]
    fn accepts_a_number_with_the_right_check_character() {
        assert_eq!(
            ResidentId::parse(VALID).map(|id| id.0),
            Ok(VALID.to_string())
        );
        assert!(ResidentId::parse(&VALID.to_lowercase()).is_ok());
    }

    #[test]
    fn rejects_a_wrong_check_character_or_format() {
        assert_eq!(
            ResidentId::parse("110105194912310021"),
            Err(ResidentIdError::Checksum)
        );
        assert_eq!(
            ResidentId::parse("11010519491231002"),
            Err(ResidentIdError::Format)
        );
        assert_eq!(
            ResidentId::parse("1101051949123100AX"),
            Err(ResidentIdError::Format)
        );
    }

    #[test]
    fn completed_numbers_are_valid() {
        let id = with_check_char("34042220150601123").unwrap();
        assert!(ResidentId::parse(&id).is_ok());
        assert_eq!(with_check_char("123"), None);
    }

    #[test]
    fn masks_the_middle() {
        assert_eq!(mask_id_number(VALID), "1101**********002X");
        assert_eq!(mask_id_number("1234"), "****");
    }
}
