//! IP addresses and the dotted and coloned numbers that are not.

use crate::pii::{find_pii, PiiKind};

#[test]
fn addresses_and_look_alikes() {
    let cases: &[(&str, &[&str])] = &[
        ("My IP address is 192.0.2.44.", &["192.0.2.44"]),
        ("Static IP should be 203.0.113.10/29", &["203.0.113.10"]),
        (
            "it says my ip is one nine two dot oh dot two dot one seven",
            &["one nine two dot oh dot two dot one seven"],
        ),
        (
            "IPv6: 2001:db8:85a3::8a2e:370:7334",
            &["2001:db8:85a3::8a2e:370:7334"],
        ),
        (
            "Login alert from 2001:db8:4f2a::17 - that wasn't me!",
            &["2001:db8:4f2a::17"],
        ),
        (
            "laptop 192.0.2.101 and printer 192.0.2.102",
            &["192.0.2.101", "192.0.2.102"],
        ),
        ("Firmware version 2.4.10.3 is installed.", &[]),
        ("version 10.0.19045.3803", &[]),
        ("See section 3.2.1 of the manual.", &[]),
        ("exchange rate 1.0842", &[]),
        ("MAC 00:1B:44:11:3A:B7", &[]),
        ("The error timestamp is 12:45:30.", &[]),
        ("999.1.1.1 is not an address", &[]),
    ];
    for (text, want) in cases {
        let got: Vec<&str> = find_pii(text)
            .iter()
            .filter(|m| m.kind == PiiKind::IpAddress)
            .map(|m| &text[m.start..m.end])
            .collect();
        assert_eq!(&got[..], *want, "{text}");
    }
}
