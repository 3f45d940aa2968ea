//! Tables of addresses as people give them, and of streets and numbers that are not addresses.

use super::*;

fn addresses(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    find_addresses(text, &mut out);
    out.iter().map(|&(a, b)| &text[a..b]).collect()
}

#[test]
fn addresses_as_given() {
    let cases = [
        ("it's 42 Wallace Avenue, Leeds", "42 Wallace Avenue, Leeds"),
        // capitalised common words name streets too; particles in a row
        (
            "New place: 7 Little Green Rd, Bath",
            "7 Little Green Rd, Bath",
        ),
        (
            "we're at 14 Rue de la Huchette, 75005 Paris now",
            "14 Rue de la Huchette, 75005 Paris",
        ),
        // said: a flat's number and letter, a unit's number in words
        (
            "it's flat nine b twelve hartley street york",
            "flat nine b twelve hartley street york",
        ),
        (
            "four ten pine avenue suite two hundred austin",
            "four ten pine avenue suite two hundred austin",
        ),
        (
            "Send it to Flat 3, 18 Mill Park, Derby DE1 3AB please",
            "Flat 3, 18 Mill Park, Derby DE1 3AB",
        ),
        (
            "Address: Unit 4, Riverside Quay, Cork, T12 X5R2",
            "Unit 4, Riverside Quay, Cork, T12 X5R2",
        ),
        (
            "The cottage is Rose Barn, 3 Holly Lane, Kendal LA9 4QJ.",
            "Rose Barn, 3 Holly Lane, Kendal LA9 4QJ",
        ),
        (
            "12 Rue Saint-Denis, app. 7, Laval (Québec) H7N 1A1",
            "12 Rue Saint-Denis, app. 7, Laval (Québec) H7N 1A1",
        ),
        (
            "i live at two hundred and twelve maple drive",
            "two hundred and twelve maple drive",
        ),
        (
            "my address is seven the crescent ennis",
            "seven the crescent ennis",
        ),
        (
            "number nine the willows naas road dublin twelve",
            "number nine the willows naas road dublin twelve",
        ),
        (
            "it's number four the maltings kilkenny",
            "number four the maltings kilkenny",
        ),
        ("it's flat c forty mill lane", "flat c forty mill lane"),
    ];
    for (text, want) in cases {
        assert_eq!(addresses(text), vec![want], "{text}");
    }
}

#[test]
fn not_addresses() {
    for text in [
        "the branch on High Street was closed",
        "i bought the two tb hard drive",
        "it's a five minute walk to the park",
        "we were at the crescent for the fair",
        "I've got 2 Premium plans",
    ] {
        assert_eq!(addresses(text), Vec::<&str>::new(), "{text}");
    }
}
