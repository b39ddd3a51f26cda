//! The regions where Amazon SES has an API endpoint: the one table to update
//! when AWS opens a region. Source: the `email` service of the AWS SDKs'
//! endpoint data (botocore `endpoints.json`), FIPS variants left out; the
//! same list as "Amazon Simple Email Service endpoints and quotas" in the AWS
//! General Reference.

/// `(region code, name, DNS suffix of its partition)`.
const SES_REGIONS: &[(&str, &str, &str)] = &[
    ("us-east-1", "US East (N. Virginia)", "amazonaws.com"),
    ("us-east-2", "US East (Ohio)", "amazonaws.com"),
    ("us-west-1", "US West (N. California)", "amazonaws.com"),
    ("us-west-2", "US West (Oregon)", "amazonaws.com"),
    ("af-south-1", "Africa (Cape Town)", "amazonaws.com"),
    ("ap-east-2", "Asia Pacific (Taipei)", "amazonaws.com"),
    ("ap-northeast-1", "Asia Pacific (Tokyo)", "amazonaws.com"),
    ("ap-northeast-2", "Asia Pacific (Seoul)", "amazonaws.com"),
    ("ap-northeast-3", "Asia Pacific (Osaka)", "amazonaws.com"),
    ("ap-south-1", "Asia Pacific (Mumbai)", "amazonaws.com"),
    ("ap-south-2", "Asia Pacific (Hyderabad)", "amazonaws.com"),
    ("ap-southeast-1", "Asia Pacific (Singapore)", "amazonaws.com"),
    ("ap-southeast-2", "Asia Pacific (Sydney)", "amazonaws.com"),
    ("ap-southeast-3", "Asia Pacific (Jakarta)", "amazonaws.com"),
    ("ap-southeast-4", "Asia Pacific (Melbourne)", "amazonaws.com"),
    ("ap-southeast-5", "Asia Pacific (Malaysia)", "amazonaws.com"),
    ("ap-southeast-6", "Asia Pacific (New Zealand)", "amazonaws.com"),
    ("ap-southeast-7", "Asia Pacific (Thailand)", "amazonaws.com"),
    ("ca-central-1", "Canada (Central)", "amazonaws.com"),
    ("ca-west-1", "Canada West (Calgary)", "amazonaws.com"),
    ("eu-central-1", "Europe (Frankfurt)", "amazonaws.com"),
    ("eu-central-2", "Europe (Zurich)", "amazonaws.com"),
    ("eu-north-1", "Europe (Stockholm)", "amazonaws.com"),
    ("eu-south-1", "Europe (Milan)", "amazonaws.com"),
    ("eu-south-2", "Europe (Spain)", "amazonaws.com"),
    ("eu-west-1", "Europe (Ireland)", "amazonaws.com"),
    ("eu-west-2", "Europe (London)", "amazonaws.com"),
    ("eu-west-3", "Europe (Paris)", "amazonaws.com"),
    ("il-central-1", "Israel (Tel Aviv)", "amazonaws.com"),
    ("me-central-1", "Middle East (UAE)", "amazonaws.com"),
    ("me-south-1", "Middle East (Bahrain)", "amazonaws.com"),
    ("mx-central-1", "Mexico (Central)", "amazonaws.com"),
    ("sa-east-1", "South America (Sao Paulo)", "amazonaws.com"),
    ("us-gov-east-1", "AWS GovCloud (US-East)", "amazonaws.com"),
    ("us-gov-west-1", "AWS GovCloud (US-West)", "amazonaws.com"),
    ("eusc-de-east-1", "AWS European Sovereign Cloud (Germany)", "amazonaws.eu"),
];

/// An SES region from the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SesRegion {
    pub code: &'static str,
    pub name: &'static str,
    dns_suffix: &'static str,
}

impl SesRegion {
    /// The SES API endpoint the AWS SDKs use for this region.
    pub fn endpoint(&self) -> String {
        format!("https://email.{}.{}", self.code, self.dns_suffix)
    }
}

pub fn find(code: &str) -> Option<SesRegion> {
    SES_REGIONS.iter().find(|(c, _, _)| *c == code).map(|&(code, name, dns_suffix)| SesRegion {
        code,
        name,
        dns_suffix,
    })
}

/// What to say about a region code that is not in the table: the likely
/// intended one when it differs only in case or spaces, or one of the same
/// geography (`eu-west-9` → `eu-west-1, eu-west-2, eu-west-3`).
pub fn suggest(code: &str) -> String {
    let cleaned = code.trim().to_ascii_lowercase();
    if let Some(region) = find(&cleaned) {
        return format!("did you mean {}?", region.code);
    }
    let area = cleaned.split('-').take(2).collect::<Vec<_>>().join("-");
    let alike: Vec<&str> =
        SES_REGIONS.iter().map(|(c, _, _)| *c).filter(|c| !area.is_empty() && c.starts_with(&area)).collect();
    if alike.is_empty() {
        "SES regions look like eu-west-1 or us-east-1".to_string()
    } else {
        format!("SES regions nearby: {}", alike.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_regions_have_their_sdk_endpoint() {
        assert_eq!(find("eu-west-1").unwrap().endpoint(), "https://email.eu-west-1.amazonaws.com");
        assert_eq!(find("eu-west-1").unwrap().name, "Europe (Ireland)");
        assert_eq!(find("eusc-de-east-1").unwrap().endpoint(), "https://email.eusc-de-east-1.amazonaws.eu");
        assert!(find("cn-north-1").is_none(), "SES has no endpoint in China");
        assert!(find("EU-WEST-1").is_none());
    }

    #[test]
    fn unknown_regions_get_a_hint() {
        assert_eq!(suggest("EU-WEST-1"), "did you mean eu-west-1?");
        assert_eq!(suggest("eu-west-9"), "SES regions nearby: eu-west-1, eu-west-2, eu-west-3");
        assert_eq!(suggest("mars-1"), "SES regions look like eu-west-1 or us-east-1");
    }

    #[test]
    fn the_table_has_no_duplicate() {
        let mut codes: Vec<_> = SES_REGIONS.iter().map(|(c, _, _)| *c).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), SES_REGIONS.len());
    }
}
