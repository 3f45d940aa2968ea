//! The words of addresses: street types said after the name ("Avenue", "Park") or before it
//! ("rue", "calle"), written into one word ("-straße", "-veien"), units ("flat", "app."), the
//! particles of street names, and the units of measure that make a number a quantity.

/// Street types said after the name ("Elm Street").
pub const SUFFIXES: &[&str] = &[
    "street",
    "st",
    "avenue",
    "ave",
    "av",
    "road",
    "rd",
    "drive",
    "dr",
    "lane",
    "ln",
    "boulevard",
    "blvd",
    "court",
    "ct",
    "place",
    "pl",
    "way",
    "terrace",
    "crescent",
    "close",
    "mews",
    "parkway",
    "pkwy",
    "highway",
    "hwy",
    "circle",
    "cir",
    "square",
    "sq",
    "trail",
    "row",
    "grove",
    "gardens",
    "walk",
    "hollow",
    "crossing",
    "alley",
    "broadway",
    "pike",
    "loop",
    "park",
    "hill",
    "green",
    "rise",
    "view",
    "vale",
    "heights",
    "meadows",
    "parade",
    "quay",
    "wharf",
    "esplanade",
    "promenade",
    "heath",
    "fields",
];

/// Street types said before the name ("rue des Lilas", "Calle de Alcalá", "ul. Marszałkowska").
pub const PREFIXES: &[&str] = &[
    "rue", "calle", "via", "viale", "piazza", "plaza", "ul", "ulica", "avenida", "rua", "chemin",
    "strada", "corso", "carrer", "camino", "allée",
];

/// Street types written as the end of one word ("Schillerstraße", "Keizersgracht").
pub const COMPOUND: &[&str] = &[
    "straße", "strasse", "str", "weg", "gasse", "platz", "allee", "damm", "gracht", "straat",
    "laan", "veien", "vegen", "gatan", "gade", "vej",
];

pub const UNITS: &[&str] = &[
    "flat",
    "apartment",
    "apt",
    "unit",
    "suite",
    "ste",
    "#",
    "m",
    "room",
    "app",
    "appt",
];

pub const PARTICLES: &[&str] = &[
    "de", "des", "del", "la", "di", "da", "du", "le", "dos", "das",
];

/// Words after a number that make it a quantity, not a house number ("two tb hard drive",
/// "five gb data plan", "ten minute walk").
pub const MEASURES: &[&str] = &[
    "tb", "gb", "mb", "kb", "kg", "g", "lb", "lbs", "km", "mile", "miles", "metre", "metres",
    "meter", "meters", "inch", "inches", "foot", "feet", "hour", "hours", "minute", "minutes",
    "day", "days", "week", "weeks", "month", "months", "year", "years", "pound", "pounds",
    "dollar", "dollars", "euro", "euros", "percent", "per", "x", "times", "star", "seater",
];
