//! The kinds of PII, their names in `pii_types` and their placeholders, and one detection:
//! what every detector returns and every caller reads.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PiiKind {
    Email,
    Phone,
    Ssn,
    Card,
    Iban,
    DateOfBirth,
    /// A customer's or other person's name (names.rs).
    PersonName,
    /// An agent's own name, in a greeting or when addressed: kept by default (issue #17).
    AgentName,
    Address,
    /// A ZIP code or postcode given alone.
    Zip,
    /// A card security code (CVV, CVC), in context.
    Cvv,
    CardExpiry,
    /// A PIN, passcode or spoken password.
    Pin,
    BankAccount,
    /// An ABA routing number (checksum and context).
    RoutingNumber,
    /// A UK sort code, in context.
    SortCode,
    Passport,
    DriversLicence,
    IpAddress,
}

impl PiiKind {
    pub const ALL: [PiiKind; 19] = [
        PiiKind::Email,
        PiiKind::Phone,
        PiiKind::Ssn,
        PiiKind::Card,
        PiiKind::Iban,
        PiiKind::DateOfBirth,
        PiiKind::PersonName,
        PiiKind::AgentName,
        PiiKind::Address,
        PiiKind::Zip,
        PiiKind::Cvv,
        PiiKind::CardExpiry,
        PiiKind::Pin,
        PiiKind::BankAccount,
        PiiKind::RoutingNumber,
        PiiKind::SortCode,
        PiiKind::Passport,
        PiiKind::DriversLicence,
        PiiKind::IpAddress,
    ];

    /// The name reported in `pii_types`.
    pub fn as_str(self) -> &'static str {
        match self {
            PiiKind::Email => "email",
            PiiKind::Phone => "phone",
            PiiKind::Ssn => "ssn",
            PiiKind::Card => "card",
            PiiKind::Iban => "iban",
            PiiKind::DateOfBirth => "date_of_birth",
            PiiKind::PersonName => "person_name",
            PiiKind::AgentName => "agent_name",
            PiiKind::Address => "address",
            PiiKind::Zip => "zip",
            PiiKind::Cvv => "card_cvv",
            PiiKind::CardExpiry => "card_expiry",
            PiiKind::Pin => "pin",
            PiiKind::BankAccount => "bank_account",
            PiiKind::RoutingNumber => "routing_number",
            PiiKind::SortCode => "sort_code",
            PiiKind::Passport => "passport",
            PiiKind::DriversLicence => "drivers_licence",
            PiiKind::IpAddress => "ip_address",
        }
    }

    /// The typed placeholder used by redaction.
    pub fn placeholder(self) -> &'static str {
        match self {
            PiiKind::Email => "[EMAIL]",
            PiiKind::Phone => "[PHONE]",
            PiiKind::Ssn => "[SSN]",
            PiiKind::Card => "[CARD]",
            PiiKind::Iban => "[IBAN]",
            PiiKind::DateOfBirth => "[DOB]",
            PiiKind::PersonName | PiiKind::AgentName => "[NAME]",
            PiiKind::Address => "[ADDRESS]",
            PiiKind::Zip => "[ZIP]",
            PiiKind::Cvv => "[CVV]",
            PiiKind::CardExpiry => "[CARD_EXPIRY]",
            PiiKind::Pin => "[PIN]",
            PiiKind::BankAccount => "[BANK_ACCOUNT]",
            PiiKind::RoutingNumber => "[ROUTING_NUMBER]",
            PiiKind::SortCode => "[SORT_CODE]",
            PiiKind::Passport => "[PASSPORT]",
            PiiKind::DriversLicence => "[DRIVERS_LICENCE]",
            PiiKind::IpAddress => "[IP_ADDRESS]",
        }
    }
}

/// One detected item: byte offsets into the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PiiMatch {
    pub kind: PiiKind,
    pub start: usize,
    pub end: usize,
}
