//! Spoken numbers: what each phrase reads as, and that rewritten spans map back to the words.

use super::Spoken;

#[test]
fn spoken_numbers_read_as_digits() {
    let cases = [
        ("four one one one", "4111"),
        ("six oh one one", "6011"),
        ("double seven nine two", "7792"),
        ("triple zero", "000"),
        ("forty two forty two", "4242"),
        ("zero four slash twenty six", "04/26"),
        ("nineteen eighty five", "1985"),
        ("twenty twenty seven", "2027"),
        ("two thousand", "2000"),
        ("two thousand and five", "2005"),
        ("two hundred and forty seven dollars", "247 dollars"),
        ("one nine two dot oh dot two dot one seven", "192.0.2.17"),
        ("one hundred dot four two", "100.42"),
        ("three oh five then five five five", "305555"),
        ("4111 one one one one", "4111 1111"),
        ("march third nineteen eighty four", "march 3rd 1984"),
        ("twenty third of october", "23rd of october"),
        ("between eight and twelve", "between 8 and 12"),
        ("fifty five hundred", "5500"),
        ("Forty-two", "42"),
        // Not numbers: "oh" alone, "double" before a non-digit, "dot" between words.
        ("oh okay", "oh okay"),
        ("i was double charged", "i was double charged"),
        (
            "john dot kowalski at example dot com",
            "john dot kowalski at example dot com",
        ),
        ("no numbers here", "no numbers here"),
    ];
    let mut failures = Vec::new();
    for (text, want) in cases {
        let got = Spoken::of(text);
        if got.text != want {
            failures.push(format!("{text:?}: want {want:?}, got {:?}", got.text));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rewritten_ranges_map_to_the_words() {
    let text = "my pin is double seven nine two ok";
    let s = Spoken::of(text);
    assert_eq!(s.text, "my pin is 7792 ok");
    let at = s.text.find("7792").unwrap_or(0);
    let (a, b) = s.original(at, at + 4);
    assert_eq!(&text[a..b], "double seven nine two");
    let (a, b) = s.original(at + 1, at + 3);
    assert_eq!(&text[a..b], "double seven nine");
    let ok = s.text.find("ok").unwrap_or(0);
    assert_eq!(s.original(ok, ok + 2), (text.len() - 2, text.len()));
    assert_eq!(s.original(0, 2), (0, 2));
}
