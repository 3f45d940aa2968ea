//! Tables of ZIP codes and postcodes given on request, and codes that are something else.

use super::*;

fn zips(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    find_zips(text, &mut out);
    out.iter().map(|&(a, b)| &text[a..b]).collect()
}

#[test]
fn codes_after_a_cue() {
    let cases = [
        ("my zip is 30309-4422", "30309-4422"),
        ("Billing ZIP: 98052", "98052"),
        ("Postcode is SW1A 1AA.", "SW1A 1AA"),
        ("postal code is K1A 0B1", "K1A 0B1"),
        ("the zip code is nine oh two one oh", "nine oh two one oh"),
        ("postcode b fifteen two t t", "b fifteen two t t"),
        ("My postcode in Germany is 50667.", "50667"),
        ("Eircode? post code D02 X285", "D02 X285"),
        ("Onze postcode is 1017 CT.", "1017 CT"),
        (
            "eircode is a ninety two x y four five",
            "a ninety two x y four five",
        ),
        (
            "zip code three three one two nine dash four four one two",
            "three three one two nine dash four four one two",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(zips(text), vec![want], "{text}");
    }
}

#[test]
fn a_corrected_code_is_one_too() {
    assert_eq!(
        zips("zip's eight oh two oh five no sorry eight oh two oh six"),
        vec!["eight oh two oh five", "eight oh two oh six"]
    );
}

#[test]
fn no_code_without_one() {
    for text in [
        "What ZIP code do you need, billing or shipping?",
        "The ZIP field on your website won't accept my input.",
        "the postcode checker says you don't cover my area",
        "meter reading 04512",
    ] {
        assert_eq!(zips(text), Vec::<&str>::new(), "{text}");
    }
}

#[test]
fn a_bare_answer() {
    let mut out = Vec::new();
    find_zip_answer("It's 60614.", &mut out);
    assert_eq!(out, vec![(5, 10)]);
}
