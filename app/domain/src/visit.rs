//! Field visits (入户调查、走访、回访): their kinds, the checks on what an
//! officer records in the field, the photos and signature that go with them,
//! and when follow-ups fall due after payment.
//!
//! The API shapes of visits live here rather than in `api.rs` so the visit
//! feature stays in one place.

use serde::{Deserialize, Serialize};

use crate::case::text_enum;
use crate::FieldError;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// What kind of visit an officer made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitKind {
    /// 入户调查
    HomeVisit,
    /// 村委会调查
    VillageCommitteeInterview,
    /// 邻居走访
    NeighbourInterview,
    /// 电话回访
    PhoneFollowUp,
    /// 实地回访
    OnSiteFollowUp,
}

text_enum!(VisitKind {
    HomeVisit => "home_visit",
    VillageCommitteeInterview => "village_committee_interview",
    NeighbourInterview => "neighbour_interview",
    PhoneFollowUp => "phone_follow_up",
    OnSiteFollowUp => "on_site_follow_up",
});

impl VisitKind {
    /// Follow-ups after payment tick off the follow-ups that fall due.
    pub fn is_follow_up(self) -> bool {
        matches!(self, VisitKind::PhoneFollowUp | VisitKind::OnSiteFollowUp)
    }
}

/// A photo or the visited person's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VisitFileKind {
    Photo,
    /// A PNG drawn on the phone's screen.
    Signature,
}

text_enum!(VisitFileKind {
    Photo => "photo",
    Signature => "signature",
});

/// Image formats a visit accepts, recognised by their first bytes, never by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
}

impl ImageFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Webp => "image/webp",
        }
    }

    pub fn parse_content_type(text: &str) -> Option<ImageFormat> {
        match text {
            "image/jpeg" => Some(ImageFormat::Jpeg),
            "image/png" => Some(ImageFormat::Png),
            "image/webp" => Some(ImageFormat::Webp),
            _ => None,
        }
    }

    /// The format the bytes really are, from their magic numbers.
    pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
        if bytes.len() >= 4 && bytes[..3] == [0xFF, 0xD8, 0xFF] {
            Some(ImageFormat::Jpeg)
        } else if bytes.len() >= 8 && bytes[..8] == *b"\x89PNG\r\n\x1a\n" {
            Some(ImageFormat::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageFormat::Webp)
        } else {
            None
        }
    }
}

/// Largest photo or signature the server stores. Photos are downscaled on the
/// phone to about 1600 px (a few hundred KB); this leaves room for a gallery
/// picture the phone could not shrink, without letting a raw camera file in.
pub const MAX_VISIT_FILE_BYTES: usize = 3 * 1024 * 1024;

/// At most this many files (photos and signatures) per visit.
pub const MAX_FILES_PER_VISIT: i64 = 20;

/// The long side, in pixels, photos are scaled down to on the phone.
pub const PHOTO_LONG_SIDE_PX: u32 = 1600;

/// Checks an upload: its kind fits its bytes, and its size is within limits.
pub fn check_visit_file(kind: VisitFileKind, bytes: &[u8]) -> Result<ImageFormat, FieldError> {
    let error = |code, message| FieldError {
        field: "file",
        code,
        message,
    };
    if bytes.is_empty() {
        return Err(error("file_empty", "the file is empty"));
    }
    if bytes.len() > MAX_VISIT_FILE_BYTES {
        return Err(error("file_too_large", "the file is larger than 3 MB"));
    }
    let format = ImageFormat::sniff(bytes)
        .ok_or(error("not_an_image", "must be a JPEG, PNG or WebP image"))?;
    if kind == VisitFileKind::Signature && format != ImageFormat::Png {
        return Err(error("signature_not_png", "a signature must be a PNG"));
    }
    Ok(format)
}

/// Normalises a client-made id: a UUID in its 36-character hyphenated form, lower case.
pub fn parse_client_id(text: &str) -> Option<String> {
    let lower = text.trim().to_ascii_lowercase();
    let bytes = lower.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let ok = bytes.iter().enumerate().all(|(i, b)| match i {
        8 | 13 | 18 | 23 => *b == b'-',
        _ => b.is_ascii_hexdigit(),
    });
    ok.then_some(lower)
}

/// What the officer found, each part optional: not every visit learns everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VisitFindings {
    /// How many people live in the household.
    #[serde(default)]
    pub household_members: Option<i64>,
    /// The household's monthly income, in fen.
    #[serde(default)]
    pub monthly_income_fen: Option<i64>,
    /// How many of them depend on others (children, elderly, ill or disabled).
    #[serde(default)]
    pub dependants: Option<i64>,
    /// The hardship seen: debts, illness, housing, schooling…
    #[serde(default)]
    pub hardship: Option<String>,
    /// What the household needs.
    #[serde(default)]
    pub needs: Option<String>,
}

/// The GPS position the phone reported, if the officer allowed it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GeoPoint {
    pub latitude: f64,
    pub longitude: f64,
    /// Radius of uncertainty in metres.
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

/// A visit as the phone sends it. The id is in the path: made on the phone,
/// so sending the same record again stores it once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewVisit {
    pub kind: VisitKind,
    /// When the visit took place, UTC unix ms.
    pub visited_at: i64,
    pub place: String,
    #[serde(default)]
    pub location: Option<GeoPoint>,
    /// Who the officer met (names and relationships, free text).
    pub people_met: String,
    #[serde(default)]
    pub findings: VisitFindings,
    #[serde(default)]
    pub notes: Option<String>,
}

/// A photo or signature stored with a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct VisitFileView {
    /// The id the phone made.
    pub id: String,
    pub kind: VisitFileKind,
    pub content_type: String,
    pub size_bytes: i64,
    /// Where to fetch the image (same-origin, needs the session).
    pub url: String,
    pub uploaded_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct VisitView {
    /// The id the phone made.
    pub id: String,
    pub case_id: i64,
    pub kind: VisitKind,
    pub visited_at: i64,
    pub place: String,
    pub location: Option<GeoPoint>,
    pub people_met: String,
    pub findings: VisitFindings,
    pub notes: Option<String>,
    pub officer: crate::api::NamedRef,
    /// When the server stored it.
    pub recorded_at: i64,
    pub files: Vec<VisitFileView>,
}

/// A follow-up that falls due after payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FollowUpDue {
    /// Days after payment began.
    pub days: i64,
    /// UTC unix ms.
    pub due_at: i64,
    /// The follow-up visit that ticked it off, if any.
    pub done_by_visit: Option<String>,
    pub overdue: bool,
}

/// The visits of a case and what the viewer may do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct CaseVisits {
    /// Newest first.
    pub visits: Vec<VisitView>,
    /// The viewer is the case's officer and the case is not over.
    pub can_record: bool,
    /// Follow-ups due after payment; empty before payment.
    pub follow_ups: Vec<FollowUpDue>,
}

/// One case's follow-ups that are not done yet, for the officer's "due" list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct FollowUpItem {
    pub case_id: i64,
    pub case_number: String,
    pub applicant_name: String,
    pub village: String,
    pub officer: crate::api::NamedRef,
    pub days: i64,
    pub due_at: i64,
    pub overdue: bool,
}

/// Default days after payment at which follow-ups fall due.
pub const DEFAULT_FOLLOW_UP_DAYS: [i64; 2] = [30, 90];

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Parses a list of days such as "30,90": positive, rising, at most ten.
pub fn parse_follow_up_days(text: &str) -> Result<Vec<i64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(DEFAULT_FOLLOW_UP_DAYS.to_vec());
    }
    let mut days = Vec::new();
    for part in text.split(',') {
        let n: i64 = part
            .trim()
            .parse()
            .map_err(|_| format!("{part:?} is not a number of days"))?;
        if n <= 0 || n > 3650 {
            return Err(format!("{n} days is out of range (1 to 3650)"));
        }
        if days.last().is_some_and(|last| *last >= n) {
            return Err("list the days in rising order".into());
        }
        days.push(n);
    }
    if days.len() > 10 {
        return Err("at most ten follow-ups".into());
    }
    Ok(days)
}

/// The follow-ups of a case whose payment began at `paid_at`: the k-th
/// follow-up visit made after payment ticks off the k-th one due.
/// `follow_up_visits` are (visit id, visited_at), in any order.
pub fn follow_ups(
    paid_at: i64,
    days: &[i64],
    follow_up_visits: &[(String, i64)],
    now: i64,
) -> Vec<FollowUpDue> {
    let mut visits: Vec<&(String, i64)> = follow_up_visits
        .iter()
        .filter(|(_, at)| *at >= paid_at)
        .collect();
    visits.sort_by_key(|(id, at)| (*at, id.clone()));
    let mut visits = visits.into_iter();
    days.iter()
        .map(|d| {
            let due_at = paid_at + d * DAY_MS;
            let done_by_visit = visits.next().map(|(id, _)| id.clone());
            FollowUpDue {
                days: *d,
                due_at,
                overdue: done_by_visit.is_none() && due_at < now,
                done_by_visit,
            }
        })
        .collect()
}

/// Checks a visit as recorded in the field; returns it trimmed.
pub fn validate_visit(input: &NewVisit, now: i64) -> Result<NewVisit, FieldError> {
    let error = |field, code, message| FieldError {
        field,
        code,
        message,
    };
    let text = |value: &str, field: &'static str, max: usize, required: bool| {
        let t = value.trim();
        if required && t.is_empty() {
            return Err(error(field, "required", "must not be empty"));
        }
        if t.chars().count() > max {
            return Err(error(field, "too_long", "is too long"));
        }
        Ok(t.to_string())
    };
    let optional = |value: &Option<String>, field: &'static str, max: usize| {
        value
            .as_deref()
            .map(|v| text(v, field, max, false))
            .transpose()
            .map(|v| v.filter(|t| !t.is_empty()))
    };
    // A phone's clock may run a little fast; a day ahead is a mistake.
    if input.visited_at > now + 10 * 60 * 1000 {
        return Err(error(
            "visited_at",
            "date_in_future",
            "cannot be in the future",
        ));
    }
    // 2000-01-01: anything earlier is a typo or an unset clock.
    if input.visited_at < 946_684_800_000 {
        return Err(error("visited_at", "date_too_old", "is too long ago"));
    }
    if let Some(p) = &input.location {
        let valid = p.latitude.is_finite()
            && p.longitude.is_finite()
            && (-90.0..=90.0).contains(&p.latitude)
            && (-180.0..=180.0).contains(&p.longitude)
            && p.accuracy_m.is_none_or(|a| a.is_finite() && a >= 0.0);
        if !valid {
            return Err(error(
                "location",
                "invalid_location",
                "is not a position on Earth",
            ));
        }
    }
    let f = &input.findings;
    for (field, value, max) in [
        ("findings.household_members", f.household_members, 100),
        ("findings.dependants", f.dependants, 100),
    ] {
        if value.is_some_and(|n| !(0..=max).contains(&n)) {
            return Err(error(field, "out_of_range", "is out of range"));
        }
    }
    if f.monthly_income_fen
        .is_some_and(|n| !(0..=100_000_000).contains(&n))
    {
        return Err(error(
            "findings.monthly_income_fen",
            "out_of_range",
            "is out of range",
        ));
    }
    Ok(NewVisit {
        kind: input.kind,
        visited_at: input.visited_at,
        place: text(&input.place, "place", 200, true)?,
        location: input.location,
        people_met: text(&input.people_met, "people_met", 500, true)?,
        findings: VisitFindings {
            household_members: f.household_members,
            monthly_income_fen: f.monthly_income_fen,
            dependants: f.dependants,
            hardship: optional(&f.hardship, "findings.hardship", 2000)?,
            needs: optional(&f.needs, "findings.needs", 2000)?,
        },
        notes: optional(&input.notes, "notes", 4000)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_780_000_000_000;

    fn visit() -> NewVisit {
        NewVisit {
            kind: VisitKind::HomeVisit,
            visited_at: NOW - 3_600_000,
            place: "  正阳村三组 ".into(),
            location: Some(GeoPoint {
                latitude: 32.1,
                longitude: 116.5,
                accuracy_m: Some(12.0),
            }),
            people_met: "杨红梅（母亲）".into(),
            findings: VisitFindings {
                household_members: Some(4),
                monthly_income_fen: Some(150_000),
                dependants: Some(2),
                hardship: Some(" ".into()),
                needs: Some("学费".into()),
            },
            notes: None,
        }
    }

    #[test]
    fn a_visit_is_trimmed_and_empty_texts_become_none() {
        let v = validate_visit(&visit(), NOW).unwrap();
        assert_eq!(v.place, "正阳村三组");
        assert_eq!(v.findings.hardship, None);
        assert_eq!(v.findings.needs.as_deref(), Some("学费"));
    }

    #[test]
    fn bad_visits_name_the_field() {
        let mut v = visit();
        v.place = " ".into();
        assert_eq!(validate_visit(&v, NOW).unwrap_err().field, "place");
        let mut v = visit();
        v.visited_at = NOW + 24 * 3_600_000;
        assert_eq!(validate_visit(&v, NOW).unwrap_err().code, "date_in_future");
        let mut v = visit();
        v.location = Some(GeoPoint {
            latitude: 91.0,
            longitude: 0.0,
            accuracy_m: None,
        });
        assert_eq!(validate_visit(&v, NOW).unwrap_err().field, "location");
        let mut v = visit();
        v.findings.household_members = Some(-1);
        assert_eq!(
            validate_visit(&v, NOW).unwrap_err().field,
            "findings.household_members"
        );
    }

    #[test]
    fn images_are_recognised_by_their_bytes() {
        assert_eq!(
            ImageFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(
            ImageFormat::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(ImageFormat::Png)
        );
        assert_eq!(
            ImageFormat::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageFormat::Webp)
        );
        assert_eq!(ImageFormat::sniff(b"GIF89a......"), None);
        assert_eq!(ImageFormat::sniff(b"<svg></svg>"), None);
    }

    #[test]
    fn uploads_are_checked_by_content_kind_and_size() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
        assert!(check_visit_file(VisitFileKind::Photo, &jpeg).is_ok());
        assert_eq!(
            check_visit_file(VisitFileKind::Signature, &jpeg)
                .unwrap_err()
                .code,
            "signature_not_png"
        );
        assert_eq!(
            check_visit_file(VisitFileKind::Photo, b"hello world!")
                .unwrap_err()
                .code,
            "not_an_image"
        );
        let mut big = vec![0u8; MAX_VISIT_FILE_BYTES + 1];
        big[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
        assert_eq!(
            check_visit_file(VisitFileKind::Photo, &big)
                .unwrap_err()
                .code,
            "file_too_large"
        );
    }

    #[test]
    fn client_ids_are_hyphenated_uuids() {
        assert_eq!(
            parse_client_id("0F8FAD5B-D9CB-469F-A165-70867728950E").as_deref(),
            Some("0f8fad5b-d9cb-469f-a165-70867728950e")
        );
        assert_eq!(parse_client_id("0f8fad5bd9cb469fa16570867728950e"), None);
        assert_eq!(parse_client_id("../../etc/passwd"), None);
    }

    #[test]
    fn follow_ups_fall_due_and_are_ticked_off_in_order() {
        let paid = NOW - 40 * DAY_MS;
        let due = follow_ups(paid, &[30, 90], &[], NOW);
        assert_eq!(due.len(), 2);
        assert!(due[0].overdue, "30 days passed without a follow-up");
        assert!(!due[1].overdue);
        let visits = vec![
            ("b".to_string(), NOW - DAY_MS),
            // Before payment: does not count.
            ("a".to_string(), paid - DAY_MS),
        ];
        let due = follow_ups(paid, &[30, 90], &visits, NOW);
        assert_eq!(due[0].done_by_visit.as_deref(), Some("b"));
        assert!(!due[0].overdue);
        assert_eq!(due[1].done_by_visit, None);
    }

    #[test]
    fn follow_up_days_parse_in_rising_order() {
        assert_eq!(parse_follow_up_days("").unwrap(), vec![30, 90]);
        assert_eq!(
            parse_follow_up_days("14, 60,180").unwrap(),
            vec![14, 60, 180]
        );
        assert!(parse_follow_up_days("90,30").is_err());
        assert!(parse_follow_up_days("0").is_err());
        assert!(parse_follow_up_days("x").is_err());
    }

    #[test]
    fn every_kind_has_a_stable_text_that_is_its_json_name() {
        for k in VisitKind::ALL {
            assert_eq!(VisitKind::parse(k.as_str()), Some(*k));
            assert_eq!(
                serde_json::to_value(k).unwrap(),
                serde_json::json!(k.as_str())
            );
        }
        assert!(VisitKind::PhoneFollowUp.is_follow_up());
        assert!(!VisitKind::HomeVisit.is_follow_up());
    }
}
