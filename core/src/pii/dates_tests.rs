//! Dates of birth and month-name expiries, by the words around them.

use crate::pii::{find_pii, PiiKind};

#[test]
fn birth_dates_and_expiries_by_their_words() {
    use PiiKind::*;
    let cases: &[(&str, &[(PiiKind, &str)])] = &[
        (
            "Date of birth is 14/03/1984.",
            &[(DateOfBirth, "14/03/1984")],
        ),
        (
            "born on the twelfth of may nineteen eighty two",
            &[(DateOfBirth, "the twelfth of may nineteen eighty two")],
        ),
        (
            "d o b is oh six slash one five slash seventy eight",
            &[(DateOfBirth, "oh six slash one five slash seventy eight")],
        ),
        (
            "Can you confirm your date of birth for me? I have 09/09/1957.",
            &[(DateOfBirth, "09/09/1957")],
        ),
        ("Birth date: Aug 4, 1973", &[(DateOfBirth, "Aug 4, 1973")]),
        (
            "the expiry is january twenty thirty",
            &[(CardExpiry, "january twenty thirty")],
        ),
        ("I was born in 1990", &[]),
        (
            "she was born march nineteen eighty",
            &[(DateOfBirth, "march nineteen eighty")],
        ),
        (
            "born 04/07/1966 no sorry 07/04/1966",
            &[(DateOfBirth, "04/07/1966"), (DateOfBirth, "07/04/1966")],
        ),
        (
            "the ninth of june nineteen forty eight that's my mum's",
            &[(DateOfBirth, "the ninth of june nineteen forty eight")],
        ),
        ("77-40-12", &[]),
        (
            "expiry's march twenty eight",
            &[(CardExpiry, "march twenty eight")],
        ),
        (
            "My birthday is next week, can I use the birthday discount?",
            &[],
        ),
        ("My order was supposed to arrive on 14/03/2024.", &[]),
        ("Statement date: 22 July 2024", &[]),
        ("The offer expires in March 2026.", &[]),
        ("the offer is valid through the end of june", &[]),
        // a turn that is only a date with a birth year answers "and your date of birth?"
        (
            "um it's the second of march nineteen sixty one",
            &[(DateOfBirth, "the second of march nineteen sixty one")],
        ),
        ("It's 30/01/1977.", &[(DateOfBirth, "30/01/1977")]),
        (
            "one two oh six nineteen eighty no sorry one three oh six nineteen eighty",
            &[
                (DateOfBirth, "one two oh six nineteen eighty"),
                (DateOfBirth, "one three oh six nineteen eighty"),
            ],
        ),
        ("It's 14 May 2024.", &[]),
        ("the fifth of june twenty five", &[]),
        ("I joined on 3 May 1998 and never missed a bill", &[]),
    ];
    for (text, want) in cases {
        let got: Vec<(PiiKind, &str)> = find_pii(text)
            .iter()
            .map(|m| (m.kind, &text[m.start..m.end]))
            .collect();
        assert_eq!(&got[..], *want, "{text}");
    }
}
