//! Tables of names that must be found (with whose they are) and of look-alikes that must not.

use super::*;

fn names(text: &str, speaker: Option<Speaker>) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    find_names(text, speaker, &mut out);
    out.sort_by_key(|n| n.start);
    out.iter()
        .map(|n| (text[n.start..n.end].to_string(), n.agent))
        .collect()
}

#[test]
fn customers_and_people_talked_about() {
    use Speaker::*;
    let cases: &[(&str, Option<Speaker>, &[&str])] = &[
        (
            "Hi, my name is Dana Whitfield and I'm calling about my bill.",
            Some(Customer),
            &["Dana Whitfield"],
        ),
        (
            "yeah hi this is maria gonzalez calling about my account",
            None,
            &["maria gonzalez"],
        ),
        ("hi it's steve", Some(Customer), &["steve"]),
        // beside the name: its spelling, bank details, "and", a relation after "'s"
        (
            "it's uh tendai moyo t e n d a i",
            Some(Customer),
            &["tendai moyo t e n d a i"],
        ),
        (
            "Refund to Siobhán Ní Bhriain, account 55120934 please",
            Some(Customer),
            &["Siobhán Ní Bhriain"],
        ),
        (
            "it's booked under Marta Kowal and Piotr Kowal",
            Some(Customer),
            &["Marta Kowal", "Piotr Kowal"],
        ),
        (
            "I'm calling for Tomasz Nowak's husband",
            Some(Customer),
            &["Tomasz Nowak's"],
        ),
        (
            "She's Ngozi Eze-Bello, my sister",
            Some(Customer),
            &["Ngozi Eze-Bello"],
        ),
        ("she's fine thanks", Some(Customer), &[]),
        ("first name is fine, surname later", Some(Customer), &[]),
        ("last name oyelaran", Some(Customer), &["oyelaran"]),
        (
            "my daughter tallulah set up the account",
            Some(Customer),
            &["tallulah"],
        ),
        ("my daughter usually does it", Some(Customer), &[]),
        ("send it to my husband's email please", Some(Customer), &[]),
        (
            "It's my father-in-law's card, Bogdan Ilic, he's here with me",
            Some(Customer),
            &["Bogdan Ilic"],
        ),
        (
            "I show 4 May 1961, is that correct Harriet?",
            Some(Agent),
            &["Harriet"],
        ),
        ("is that right, or not?", Some(Agent), &[]),
        ("Kontoinhaber Greta Vogel", Some(Customer), &["Greta Vogel"]),
        (
            "name as on card Tobias Engel",
            Some(Customer),
            &["Tobias Engel"],
        ),
        ("sorry it's long", Some(Customer), &[]),
        (
            "the name on the card is robert o'neill",
            Some(Customer),
            &["robert o'neill"],
        ),
        ("Am I speaking with Mrs. Patel?", Some(Agent), &["Patel"]),
        (
            "okay mister henderson let me check",
            Some(Agent),
            &["henderson"],
        ),
        ("Thank you, Dr. Alvarez.", Some(Agent), &["Alvarez"]),
        (
            "The account is under Jacqueline Moreau.",
            Some(Customer),
            &["Jacqueline Moreau"],
        ),
        ("it's under tanaka", Some(Customer), &["tanaka"]),
        (
            "Please add my husband, Tomasz Lewandowski.",
            Some(Customer),
            &["Tomasz Lewandowski"],
        ),
        ("Name: Chen Wei", None, &["Chen Wei"]),
        (
            "Surname is Smith, S-M-I-T-H.",
            Some(Customer),
            &["Smith", "S-M-I-T-H"],
        ),
        ("let me spell it s m i t h", Some(Customer), &["s m i t h"]),
        ("that's s as in sam", Some(Customer), &["s as in sam"]),
        ("I'm Olga, the account holder.", Some(Customer), &["Olga"]),
        (
            "you're speaking with her this is linda",
            Some(Customer),
            &["linda"],
        ),
        // cues that name someone else, and names by what surrounds them
        (
            "Could you send the cheque to Ines Okonjo-Ward instead?",
            Some(Customer),
            &["Ines Okonjo-Ward"],
        ),
        (
            "There's a letter from Maria de la Cruz for you.",
            None,
            &["Maria de la Cruz"],
        ),
        (
            "I spoke to a man called Idris last week.",
            Some(Customer),
            &["Idris"],
        ),
        (
            "it's for my neighbour karen mills she's away",
            Some(Customer),
            &["karen mills"],
        ),
        (
            "My late wife's name, Edna Price, is still on it.",
            Some(Customer),
            &["Edna Price"],
        ),
        (
            "it's in my son's name bartek uh nowak",
            Some(Customer),
            &["bartek uh nowak"],
        ),
        (
            "Please put it in Oscar Lindgren's name.",
            Some(Customer),
            &["Oscar Lindgren's"],
        ),
        (
            "ok so that's amara okafor and you're the payer",
            Some(Agent),
            &["amara okafor"],
        ),
        (
            "thanks misses adeyemi one moment",
            Some(Agent),
            &["adeyemi"],
        ),
        (
            "Passenger: Tomás Ibarra, seat 14C",
            Some(Customer),
            &["Tomás Ibarra"],
        ),
        ("everyone calls her peggy", Some(Customer), &["peggy"]),
    ];
    for (text, speaker, want) in cases {
        let got = names(text, *speaker);
        let got_text: Vec<&str> = got.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(&got_text[..], *want, "{text}");
        assert!(got.iter().all(|(_, agent)| !agent), "{text}: {got:?}");
    }
}

#[test]
fn agents_own_names() {
    use Speaker::*;
    let cases: &[(&str, Option<Speaker>, &str)] = &[
        (
            "Thanks for calling, my name is Priya, how can I help?",
            None,
            "Priya",
        ),
        (
            "Thanks for calling, my name is Priya, how can I help?",
            Some(Agent),
            "Priya",
        ),
        ("you're speaking with tom", Some(Agent), "tom"),
        (
            "good morning you've reached acme this is karen how may i help",
            None,
            "karen",
        ),
        (
            "Good afternoon, Contoso claims, Rafael speaking.",
            Some(Agent),
            "Rafael",
        ),
        ("I'll pass you to my colleague Anika.", Some(Agent), "Anika"),
        (
            "Thanks so much, Marcus, you've been great.",
            Some(Customer),
            "Marcus",
        ),
        ("hiya ciaran here from the gas board", Some(Agent), "ciaran"),
        (
            "morning northwind energy jarlath speaking",
            Some(Agent),
            "jarlath",
        ),
        (
            "you're through to oisin how can i help",
            Some(Agent),
            "oisin",
        ),
        (
            "thanks for waiting this is dev on the billing line",
            Some(Agent),
            "dev",
        ),
        ("Pip the ShopRight assistant here!", Some(Bot), "Pip"),
        ("cheers tamsin that's sorted", Some(Customer), "tamsin"),
        ("Oksana, can you resend the form?", Some(Customer), "Oksana"),
        (
            "hi ruairi yeah it's about my bill",
            Some(Customer),
            "ruairi",
        ),
        (
            "good afternoon this is oluwaseun at northgate water",
            Some(Agent),
            "oluwaseun",
        ),
    ];
    for (text, speaker, want) in cases {
        let got = names(text, *speaker);
        assert_eq!(got, vec![(want.to_string(), true)], "{text}");
    }
    // The same introduction from a customer, or with nothing that reads as a greeting, is a
    // person's name.
    assert_eq!(
        names("my name is Priya", None),
        vec![("Priya".into(), false)]
    );
    assert_eq!(
        names("my name is Priya", Some(Customer)),
        vec![("Priya".into(), false)]
    );
}

#[test]
fn look_alikes_are_not_names() {
    for text in [
        "Thank you for calling Acme Bank, how can I help you today?",
        "This is Northwind Bank, how can I help?",
        "can i take your full name please",
        "My name isn't on the account, it's my wife's.",
        "my name is on the lease",
        "i'm calling about my bill",
        "this is ridiculous i've been waiting an hour",
        "Please can you check my balance",
        "Also, could you send a receipt?",
        "this is urgent at this point",
        "I'm really frustrated with this.",
        "Hi, I'm a new customer.",
        "I'm Canadian, does that matter?",
        "The Ms. Pac-Man machine arrived broken.",
        "Is Dr. Martens one of your brands?",
        "Who am I speaking with today?",
        "i'm still in the grace period",
        "it's spelled the same way it sounds",
        "my booking reference is q x r t v p",
        "speaking with a human would be nice",
        "I'm on the Premium Plus plan.",
        "i i i don't know",
        "Do you deliver to Northern Ireland?",
        "I moved my savings from Wells Fargo in May.",
        "mister muscle spray leaked in the parcel",
        "no that's everything cheers",
        "my mum turns ninety next week",
        "it's called Netflix Premium and I never signed up",
        "The parcel went to Elizabeth Street by mistake.",
        "We're flying to São Paulo on Friday.",
        "I land at Jorge Chávez Airport tomorrow, then drive to Miraflores.",
    ] {
        assert_eq!(names(text, None), vec![], "{text}");
    }
}
