//! Turns read together: card numbers over several turns and bare answers to questions.

use crate::pii::{find_pii_in_turns, PiiKind};

/// The turns, and per turn the (kind, text) it must have found, in order.
type Case<'a> = (&'a [&'a str], &'a [&'a [(PiiKind, &'a str)]]);

#[test]
fn turns_table() {
    use PiiKind::*;
    let cases: &[Case] = &[
        (
            &[
                "yeah it's four nine one seven six one double oh",
                "okay",
                "double oh double oh",
                "yep go on",
                "double oh double oh",
            ],
            &[
                &[(Card, "four nine one seven six one double oh")],
                &[],
                &[(Card, "double oh double oh")],
                &[],
                &[(Card, "double oh double oh")],
            ],
        ),
        (
            &["4000 0566", "5566 5556 and exp is 12/29"],
            &[
                &[(Card, "4000 0566")],
                &[(Card, "5566 5556"), (CardExpiry, "12/29")],
            ],
        ),
        (
            &[
                "what's a good mobile number for you",
                "oh seven seven double oh nine hundred one two three",
            ],
            &[
                &[],
                &[(Phone, "oh seven seven double oh nine hundred one two three")],
            ],
        ),
        (&["what number should i call", "one two three"], &[&[], &[]]),
        (
            &[
                "my account number is four four one",
                "yeah",
                "two nine eight one",
            ],
            &[
                &[(BankAccount, "four four one")],
                &[],
                &[(BankAccount, "two nine eight one")],
            ],
        ),
        (
            &["And the sort code?", "20-91-77"],
            &[&[], &[(SortCode, "20-91-77")]],
        ),
        (
            &["card is 4988 4388", "4388 4305"],
            &[&[(Card, "4988 4388")], &[(Card, "4388 4305")]],
        ),
        (
            &[
                "ok the number is 3787",
                "Got it, and the rest?",
                "344936",
                "71000",
            ],
            &[
                &[(Card, "3787")],
                &[],
                &[(Card, "344936")],
                &[(Card, "71000")],
            ],
        ),
        (
            &["And the three digits on the back of the card?", "581"],
            &[&[], &[(Cvv, "581")]],
        ),
        (
            &[
                "okay and can you confirm your four digit pin",
                "double seven nine two",
            ],
            &[&[], &[(Pin, "double seven nine two")]],
        ),
        (
            &["and the eircode please", "t twelve x y four seven"],
            &[&[], &[(Zip, "t twelve x y four seven")]],
        ),
        (
            &["What's the ZIP on the account?", "33129"],
            &[&[], &[(Zip, "33129")]],
        ),
        (
            &["what's the expiry date", "oh nine slash twenty eight"],
            &[&[], &[(CardExpiry, "oh nine slash twenty eight")]],
        ),
        (
            &[
                "can i take your date of birth",
                "the third of march nineteen sixty",
            ],
            &[&[], &[(DateOfBirth, "the third of march nineteen sixty")]],
        ),
        (
            &[
                "could you give me the first and third digits of your passcode",
                "four and two",
            ],
            &[&[], &[(Pin, "four"), (Pin, "two")]],
        ),
        // Counts ("the first four", "the last four") are not pieces; a piece taken back
        // ("sorry") is replaced by the one after it.
        (
            &[
                "so the first four are four one one one",
                "yep",
                "one one one two sorry one one one one and one one one one",
                "mhm",
                "and the last four are one one one one",
            ],
            &[
                &[(Card, "four one one one")],
                &[],
                &[
                    (Card, "one one one two sorry one one one one"),
                    (Card, "one one one one"),
                ],
                &[],
                &[(Card, "one one one one")],
            ],
        ),
        // Not a card: fails Luhn; numbers of other things; a question answered with a count.
        (&["card is 4988 4388", "4388 4306"], &[&[], &[]]),
        (
            &["I need 3 adult tickets", "and 2 child tickets", "for 14:40"],
            &[&[], &[], &[]],
        ),
        (&["how many items did you order", "12"], &[&[], &[]]),
        (&["what's your order number", "4471 2280"], &[&[], &[]]),
    ];
    let mut failures = Vec::new();
    for (turns, want) in cases {
        let got = find_pii_in_turns(turns);
        let got: Vec<Vec<(PiiKind, &str)>> = got
            .iter()
            .zip(turns.iter())
            .map(|(ms, t)| ms.iter().map(|m| (m.kind, &t[m.start..m.end])).collect())
            .collect();
        let want: Vec<Vec<(PiiKind, &str)>> = want.iter().map(|w| w.to_vec()).collect();
        if got != want {
            failures.push(format!("{turns:?}:\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
