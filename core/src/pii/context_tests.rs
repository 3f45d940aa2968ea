//! Numbers named by their context: a table of written and speech-to-text cases, positives with
//! the exact text redacted and hard negatives with nothing found.

use crate::pii::{find_pii, PiiKind};

/// (text, kind, the exact span it must cover); kind `None` means nothing may be found.
const CASES: &[(&str, Option<PiiKind>, &str)] = {
    use PiiKind::*;
    &[
        // card security codes
        ("CVV is 902", Some(Cvv), "902"),
        (
            "the security code on the back is four four seven",
            Some(Cvv),
            "four four seven",
        ),
        ("um the c v v is oh eight two", Some(Cvv), "oh eight two"),
        ("it's six one four on the back", Some(Cvv), "six one four"),
        ("The 4-digit code on the front is 0417.", Some(Cvv), "0417"),
        ("CVC2: 113", Some(Cvv), "113"),
        // a question and its answer in one message; a correction with "not"
        ("Security code on the back? ... ok, 388.", Some(Cvv), "388"),
        ("the code on the back is 274 not 247", Some(Cvv), "247"),
        ("The Model No. on the back?", None, ""),
        // after a card number, "the code" is its security code
        ("4111 1111 1111 1111 and the code is 737", Some(Cvv), "737"),
        // the values in the order they were asked for
        (
            "Need the expiry date and security code please. Sure: 11/27 then 604",
            Some(Cvv),
            "604",
        ),
        // "the number" after a label is that label's number
        (
            "my licence was renewed and the number is now D62041187",
            Some(DriversLicence),
            "D62041187",
        ),
        ("receipt number 0042-118-9930", None, ""),
        ("The SIN number is 046 454 286", Some(Ssn), "046 454 286"),
        (
            "dob first of may and the last four are 9931",
            Some(Ssn),
            "9931",
        ),
        ("password: Tr0mb0ne#7", Some(Pin), "Tr0mb0ne#7"),
        ("they want a 6-digit pin now", None, ""),
        (
            "Can you check 40-47-70 for me, acct 31926810",
            Some(SortCode),
            "40-47-70",
        ),
        ("routing 021000021 / 7712345", Some(BankAccount), "7712345"),
        (
            "the WAN IP is 203.0.113.77",
            Some(IpAddress),
            "203.0.113.77",
        ),
        // a licence by the state that issued it
        ("Ohio RS482913", Some(DriversLicence), "RS482913"),
        (
            "it's d four four one two oh nine eight seven texas",
            Some(DriversLicence),
            "d four four one two oh nine eight seven",
        ),
        ("Texas 12345678", None, ""),
        ("flight UA1234 to Denver", None, ""),
        ("What's a CVV?", None, ""),
        ("the three digits on the back are rubbed off", None, ""),
        (
            "Serial number 4471-2280-9931 is on the back of the unit.",
            None,
            "",
        ),
        ("the error code is four oh four", None, ""),
        // expiry
        ("exp 11/26", Some(CardExpiry), "11/26"),
        (
            "expiry date zero four slash twenty six",
            Some(CardExpiry),
            "zero four slash twenty six",
        ),
        (
            "valid thru twelve twenty seven",
            Some(CardExpiry),
            "twelve twenty seven",
        ),
        (
            "It expires in August 2028.",
            Some(CardExpiry),
            "August 2028",
        ),
        (
            "the card expires march twenty twenty eight",
            Some(CardExpiry),
            "march twenty twenty eight",
        ),
        ("The promotion expires on 12/31.", None, ""),
        ("My contract ends in March 2026.", None, ""),
        ("when does my card expire", None, ""),
        // PINs and passcodes
        ("My PIN is 4821.", Some(Pin), "4821"),
        (
            "it's one nine eight four that's my pin",
            Some(Pin),
            "one nine eight four",
        ),
        (
            "my telephone banking passcode is five five eight two oh one",
            Some(Pin),
            "five five eight two oh one",
        ),
        ("Voice password: bluebird77", Some(Pin), "bluebird77"),
        (
            "the verbal password is sunflower nineteen",
            Some(Pin),
            "sunflower nineteen",
        ),
        ("My PIN isn't working.", None, ""),
        ("I got locked out after three wrong PIN attempts.", None, ""),
        ("Does the SIM PIN or the PUK unlock the phone?", None, ""),
        ("pin reset requested at 08:03:36", None, ""),
        // bank accounts, routing numbers, sort codes
        (
            "Account number 0012457896.",
            Some(BankAccount),
            "0012457896",
        ),
        (
            "it's account seven seven three double oh four one two",
            Some(BankAccount),
            "seven seven three double oh four one two",
        ),
        ("Acct #: 2093384756", Some(BankAccount), "2093384756"),
        (
            "Transfer from 41558823 please, sort code 20-32-06",
            Some(BankAccount),
            "41558823",
        ),
        ("account ending in 4242", None, ""),
        ("Transaction ID 7736251049 was declined.", None, ""),
        ("I've applied a $25 credit to your account.", None, ""),
        (
            "Routing number is 239759216.",
            Some(RoutingNumber),
            "239759216",
        ),
        (
            "It's 021343063 for the routing number.",
            Some(RoutingNumber),
            "021343063",
        ),
        (
            "routing is seven oh eight five two two seven seven oh",
            Some(RoutingNumber),
            "seven oh eight five two two seven seven oh",
        ),
        ("routing 239759217", None, ""),
        ("Your claim number is 123456780.", None, ""),
        ("Sort code: 77-91-02", Some(SortCode), "77-91-02"),
        (
            "sort code is eighty three twelve twenty seven",
            Some(SortCode),
            "eighty three twelve twenty seven",
        ),
        ("Payment date 15-06-24 on the statement.", None, ""),
        // passports and driver's licences
        ("Passport no: X31905472", Some(Passport), "X31905472"),
        (
            "passport number is c four seven eight two nine one six five",
            Some(Passport),
            "c four seven eight two nine one six five",
        ),
        ("Passport Plus is the travel insurance I bought.", None, ""),
        (
            "DL# W426-781-52-103-0",
            Some(DriversLicence),
            "W426-781-52-103-0",
        ),
        (
            "NY license: 493 028 716",
            Some(DriversLicence),
            "493 028 716",
        ),
        (
            "UK driving licence number KOWAL710273JA9PX",
            Some(DriversLicence),
            "KOWAL710273JA9PX",
        ),
        ("Model number DL-4500X keeps beeping.", None, ""),
        ("I bought a 3-user license for the software.", None, ""),
        // SSNs and phones said as words or written without separators
        (
            "social is five two three four four one nine oh seven",
            Some(Ssn),
            "five two three four four one nine oh seven",
        ),
        ("Last four of my SSN are 6604.", Some(Ssn), "6604"),
        ("Lot number 550-12-4408 is on the box.", None, ""),
        (
            "my number is two one two five five five oh one eight nine",
            Some(Phone),
            "two one two five five five oh one eight nine",
        ),
        ("My home phone is 555-0101.", Some(Phone), "555-0101"),
        (
            "call me at five five five one two three four",
            Some(Phone),
            "five five five one two three four",
        ),
        ("your account balance is 125000", None, ""),
        ("Product SKU 800-233-9075 shows as discontinued.", None, ""),
        (
            "order number one one two four four five five six six seven",
            None,
            "",
        ),
        // cards said as words
        (
            "forty two forty two forty two forty two forty two forty two forty two forty two",
            Some(Card),
            "forty two forty two forty two forty two forty two forty two forty two forty two",
        ),
        (
            "4111 one one one one one one one one one one one one",
            Some(Card),
            "4111 one one one one one one one one one one one one",
        ),
        ("it's the visa ending in one one one one", None, ""),
        // dates of birth
        (
            "date of birth ten ten sixty two",
            Some(DateOfBirth),
            "ten ten sixty two",
        ),
        (
            "my birthday's the fourth of july ninety nine",
            Some(DateOfBirth),
            "the fourth of july ninety nine",
        ),
        ("i've been a customer since nineteen ninety eight", None, ""),
        ("delivery was scheduled for the third of june", None, ""),
        // numbers named in other languages, by other countries' names, or after a correction
        ("Geboortedatum 03.11.1971", Some(DateOfBirth), "03.11.1971"),
        (
            "Führerschein-Nr. K311TT9Q2L4",
            Some(DriversLicence),
            "K311TT9Q2L4",
        ),
        ("Reisepass-Nr. L7T2N4X9C", Some(Passport), "L7T2N4X9C"),
        ("BSB 732-001 please", Some(SortCode), "732-001"),
        ("My NI number is AB 12 34 56 C.", Some(Ssn), "AB 12 34 56 C"),
        ("SIN: 130 692 544", Some(Ssn), "130 692 544"),
        ("my ss number is 219 09 9998", Some(Ssn), "219 09 9998"),
        (
            "the last four are two two one nine for the social",
            Some(Ssn),
            "two two one nine",
        ),
        (
            "The SSN on the form is 219-09-9998.",
            Some(Ssn),
            "219-09-9998",
        ),
        ("The garage door code is 7702.", Some(Pin), "7702"),
        (
            "sort code twenty thirty forty no sorry twenty thirty forty one",
            Some(SortCode),
            "twenty thirty forty one",
        ),
        (
            "the passphrase is purple otter forty two",
            Some(Pin),
            "purple otter forty two",
        ),
        ("Memorable word: seashell", Some(Pin), "seashell"),
        (
            "His passport number is 533380006; mine is 533380014.",
            Some(Passport),
            "533380014",
        ),
        (
            "Please charge it to 4111 1111 1111 1111.",
            Some(Card),
            "4111 1111 1111 1111",
        ),
        (
            "it's oh seven seven double oh nine double oh one two three",
            Some(Phone),
            "oh seven seven double oh nine double oh one two three",
        ),
        ("Our helpline 0800 028 4411 is free.", None, ""),
        ("call the toll free line 1-800-555-0199", None, ""),
        ("the bsb is 732 001", Some(SortCode), "732 001"),
        ("you can call us on 1800 555 019", None, ""),
        (
            "My customer account number is 8801 2231 9045 for the gas.",
            None,
            "",
        ),
        ("the refund of 1250 for the order", None, ""),
    ]
};

#[test]
fn context_table() {
    let mut failures = Vec::new();
    for (text, kind, span) in CASES {
        let got = find_pii(text);
        let ok = match kind {
            None => got.is_empty(),
            Some(k) => got
                .iter()
                .any(|m| m.kind == *k && &text[m.start..m.end] == *span),
        };
        if !ok {
            let got: Vec<_> = got
                .iter()
                .map(|m| (m.kind, &text[m.start..m.end]))
                .collect();
            failures.push(format!("{text:?}: want {kind:?} {span:?}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
