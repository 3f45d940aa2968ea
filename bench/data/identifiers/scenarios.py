"""The chats of the identifier set: one builder per domain, each returning the core turns for one
identifier, a key that makes its details unique in the set, sentence queries that carry the
identifier, and paraphrases that describe the situation without it.

Identifiers sit right after a word the PII detector reads as "not PII" (order, tracking, case,
ticket, claim, reference, booking, invoice, error code), and plan names never follow "I'm" or
"it's", so redaction at ingest leaves both as written."""

AGENTS = ["Maya", "Priya", "Tom", "Lucas", "Amara", "Jonas", "Elena", "Sam", "Noor", "Diego"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
COLOURS = ["blue", "sage green", "matte black", "white", "red", "grey", "mustard yellow", "navy",
           "pink", "copper"]
# item: the damage it can arrive with
ITEMS = {
    "kettle": ["a cracked lid", "a dented base", "a loose handle"],
    "desk lamp": ["a bent arm", "a broken switch", "a cracked shade"],
    "blender": ["a chipped jug", "a missing blade cover", "a cracked motor housing"],
    "backpack": ["a torn strap", "a broken zip", "a ripped side pocket"],
    "office chair": ["a snapped armrest", "a missing wheel", "a split seat cushion"],
    "air fryer": ["a scratched basket", "a dented door", "a cracked drawer handle"],
    "rain jacket": ["a broken zip", "a ripped seam", "a missing hood toggle"],
    "wireless headphones": ["a cracked headband", "a dead left earcup", "a missing charging case"],
    "bookshelf": ["a split side panel", "missing screws", "a chipped top shelf"],
    "toaster": ["a jammed lever", "a cracked crumb tray", "a bent slot guard"],
    "yoga mat": ["a torn corner", "a strong chemical smell", "a faded print"],
    "smart watch": ["a scratched screen", "a faulty charger", "a broken strap clasp"],
    "suitcase": ["a broken wheel", "a stuck telescopic handle", "a cracked shell"],
    "frying pan": ["a warped base", "a peeling coating", "a wobbly handle"],
}
TELECOM_PLANS = ["Unlimited Starter", "Family Share 5G", "Unlimited Max", "Prepaid Flex"]
SOFTWARE_PLANS = ["Team Cloud", "Business Plus", "Enterprise Suite"]
INSURANCE_PLANS = ["Home Shield Gold", "Drive Comprehensive", "Gadget Cover"]
FARES = ["Economy Flex", "Economy Light", "Comfort Class"]
SUBSCRIPTION_PLANS = ["Premium Plus", "Basic Monthly", "Annual Pro"]
# plan name: the word every conversation naming it puts after it
PLANS = {p: "plan" for p in TELECOM_PLANS + SOFTWARE_PLANS + SUBSCRIPTION_PLANS}
PLANS.update({p: "policy" for p in INSURANCE_PLANS} | {p: "fare" for p in FARES})


def c(text):
    return {"speaker": "customer", "text": text}


def a(text):
    return {"speaker": "agent", "text": text}


def goods(r):
    item = r.choice(sorted(ITEMS))
    return item, r.choice(COLOURS), r.choice(ITEMS[item])


def order(r, ident, kind):
    item, colour, defect = goods(r)
    day = r.choice(DAYS)
    problem = r.choice(["late", "late", "damaged", "wrong"])
    if problem == "late":
        turns = [c(f"Hi, where is my order {ident}? The {colour} {item} was meant to arrive on {day}."),
                 a(f"Let me check order {ident}. The courier scanned it at the depot but it has not moved since."),
                 c("Can I get a refund if it never turns up?"),
                 a("If it has not arrived in three more days we will resend it or refund you in full.")]
        para = [f"my {colour} {item} was due on {day} and still has not arrived",
                f"the {colour} {item} I ordered for {day} delivery never showed up"]
        key = (item, colour, day)
    elif problem == "damaged":
        turns = [c(f"My order {ident} arrived today but the {colour} {item} has {defect}."),
                 a(f"I'm sorry about that. Could you upload a photo of the {item}?"),
                 c("Sure, I've attached it now."),
                 a(f"Thanks. I've arranged a replacement {item} for order {ident}; no need to send the old one back.")]
        para = [f"the {colour} {item} arrived with {defect}", f"{item} in {colour} delivered with {defect}"]
        key = (item, colour, defect)
    else:
        other = r.choice([x for x in COLOURS if x != colour])
        turns = [c(f"I ordered the {colour} {item} on order {ident} but a {other} one came instead."),
                 a(f"Apologies for the mix-up. I'll send the {colour} {item} today with a free return label for the {other} one."),
                 c("How long will the right one take?"),
                 a("It should be with you in two working days.")]
        para = [f"ordered a {colour} {item} but received a {other} one",
                f"wrong colour {item} delivered, {other} instead of {colour}"]
        key = (item, colour, other)
    sentences = [f"where is my order {ident}", f"order {ident}", f"{item} order {ident}",
                 f"the {item} from order {ident}", f"my {colour} {item} order {ident}",
                 f"refund for order {ident}", f"replacement for order {ident}"]
    return {"turns": turns, "key": ("order", problem) + key, "sentences": sentences, "paraphrases": para}


def parcel(r, ident, kind):
    carrier = {"ups": "UPS", "usps": "USPS", "fedex": "FedEx"}[kind]
    item, colour, _ = goods(r)
    day = r.choice(DAYS)
    status, para = r.choice([
        ("The tracking has not updated since {day}.", "no tracking update since {day} on the parcel with my {colour} {item}"),
        ("It says delivered on {day} but there is nothing at my door.", "parcel with a {colour} {item} marked delivered on {day} but not there"),
        ("It has been held in customs since {day}.", "my {colour} {item} parcel stuck in customs since {day}"),
        ("It says a delivery was attempted on {day} but nobody came to the door.", "courier claims a delivery attempt on {day} for my {colour} {item} but nobody knocked"),
        ("Tracking says it is going back to the sender since {day}.", "the parcel with my {colour} {item} is being returned to the sender since {day}"),
    ])
    turns = [c(f"Hi, where is my parcel? The {carrier} tracking number is {ident}. " + status.format(day=day)),
             a(f"Thanks, I have {carrier} tracking {ident} open and I can see the same. What is in the parcel?"),
             c(f"A {colour} {item}, and I need it this week."),
             a(f"I've raised a trace with {carrier}; you will get an update within 48 hours.")]
    if kind != "fedex" and r.random() < 0.5:
        turns += [c("Is there anything I can do on my side?"),
                  a("Nothing for now, just keep the confirmation e-mail handy.")]
    sentences = [f"where is my parcel {ident}", f"tracking {ident}", f"{carrier} tracking {ident}",
                 f"parcel {ident} {day}", f"where is parcel {ident}", f"my {item} parcel {ident}"]
    return {"turns": turns, "key": ("parcel", status, item, colour, day), "sentences": sentences,
            "paraphrases": [para.format(day=day, colour=colour, item=item)]}


def ret(r, ident, kind):
    item, colour, _ = goods(r)
    wait = r.choice(["two weeks", "ten days", "three weeks", "a month"])
    problem, first, para = r.choice([
        ("refund", "I sent back the {colour} {item} {wait} ago with return {ident} and the refund has not arrived.",
         "refund still missing {wait} after returning the {colour} {item}"),
        ("pickup", "The courier never came to collect the {colour} {item} for return {ident}; I booked it {wait} ago.",
         "courier never collected the {colour} {item} I am returning, booked {wait} ago"),
        ("label", "The label for return {ident} will not scan at the drop-off point. It's for the {colour} {item}, approved {wait} ago.",
         "return label for the {colour} {item} will not scan at the drop-off, approved {wait} ago"),
        ("partial", "I only got a partial refund for the {colour} {item} on return {ident}, sent back {wait} ago.",
         "only part of the money came back for the {colour} {item} returned {wait} ago"),
    ])
    f = dict(colour=colour, item=item, wait=wait, ident=ident)
    turns = [c(first.format(**f)),
             a(f"I can see return {ident} for the {item}. Let me look into it with the warehouse."),
             c("Please do, it has been a while."),
             a("I've escalated it; you will have an answer by e-mail within two working days.")]
    sentences = [f"return {ident}", f"refund for return {ident}", f"return {ident} {item}",
                 f"status of return {ident}", f"the {item} return {ident}"]
    return {"turns": turns, "key": ("return", problem, item, colour, wait), "sentences": sentences,
            "paraphrases": [para.format(**f)]}


DEVICES = ["Pixel 8", "iPhone 15", "Galaxy S23", "Moto G54", "Galaxy A35", "iPhone 13", "home router"]
COUNTRIES = ["Spain", "Italy", "Portugal", "Greece", "Canada", "Mexico", "Japan", "Turkey"]


def telecom(r, ident, kind):
    plan, device, day = r.choice(TELECOM_PLANS), r.choice(DEVICES), r.choice(DAYS)
    country = r.choice(COUNTRIES)
    problem, text, para = r.choice([
        ("signal", "I've had no signal at home on my {device} since {day}.",
         "no signal at home on the {device} since {day}, {plan} plan"),
        ("roaming", "Roaming data does not work on my {device} here in {country}.",
         "roaming data dead on my {device} in {country} with the {plan} plan"),
        ("bill", "My bill went up after I moved to the {plan} plan on {day}, and my {device} shows extra data charges.",
         "bill higher than expected after switching to {plan} on {day}, extra data charges on the {device}"),
        ("esim", "The eSIM on my new {device} will not activate since {day}.",
         "eSIM on a new {device} will not activate, {plan} customer, since {day}"),
        ("hotspot", "Hotspot is blocked on my {device} even though the {plan} plan includes it.",
         "{plan} plan should include hotspot but the {device} blocks it"),
        ("transfer", "Transferring my service from my old provider has been stuck since {day}; the {device} still shows no service.",
         "switching over from my old provider stuck since {day}, {device} has no service, {plan}"),
    ])
    f = dict(plan=plan, device=device, day=day, country=country)
    opener = c(f"Hello, I have the {plan} plan. " + text.format(**f))
    if r.random() < 0.5:
        turns = [opener,
                 a(f"Sorry to hear that. I've opened case {ident} and sent it to our network team."),
                 c("How long does that usually take?"),
                 a(f"Most cases like {ident} are resolved within 72 hours; we will text you when it's done.")]
    else:
        turns = [c(f"Following up on case {ident}. " + text.format(**f) + f" I have the {plan} plan."),
                 a(f"Thanks. I can see case {ident}; the engineers have not closed it yet."),
                 c("Can you push it along?"),
                 a("I've marked it urgent and added a credit for the days without service.")]
        if r.random() < 0.5:
            turns += [c("Will I get a text when it's fixed?"), a("Yes, as soon as the case is closed.")]
    sentences = [f"case {ident}", f"update on case {ident}", f"case {ident} {device}",
                 f"{plan} case {ident}", f"my case {ident} is still open", f"case {ident} {plan} plan"]
    return {"turns": turns, "key": ("telecom", problem, plan, device, day if problem != "roaming" else country),
            "sentences": sentences, "paraphrases": [para.format(**f)]}


COMPONENTS = ["desktop sync client", "Android app", "iOS app", "reporting dashboard", "CSV export",
              "calendar integration", "single sign-on page", "invoice templates", "shared folders",
              "admin console"]
VERSIONS = ["4.2", "4.3", "5.0", "5.1"]
BROWSERS = ["Firefox", "Safari", "Chrome", "Edge"]


def software(r, ident, kind):
    plan, comp, ver = r.choice(SOFTWARE_PLANS), r.choice(COMPONENTS), r.choice(VERSIONS)
    browser, day = r.choice(BROWSERS), r.choice(DAYS)
    problem, text, para = r.choice([
        ("crash", "the {comp} crashes on startup since the {ver} update",
         "{comp} crashing on launch after updating to {ver}"),
        ("stuck", "the {comp} has been stuck at 99 percent since {day}",
         "{comp} hangs at 99 percent since {day}"),
        ("blank", "the {comp} shows a blank page in {browser}",
         "blank white page when opening the {comp} in {browser}"),
        ("fields", "the {comp} lost all our custom fields after the {ver} update",
         "custom fields vanished from the {comp} with version {ver}"),
        ("slow", "the {comp} has been very slow since {day}, pages take a minute to load",
         "{comp} painfully slow since {day}"),
        ("duplicates", "the {comp} sends every notification twice since the {ver} update",
         "duplicate notifications from the {comp} after the {ver} release"),
    ])
    f = dict(comp=comp, ver=ver, browser=browser, day=day)
    issue = text.format(**f)
    if kind == "ticket":
        turns = [c(f"I opened ticket {ident} on {day} and have not heard back: {issue}."),
                 a(f"Apologies for the wait. Ticket {ident} is with second-line support now."),
                 c(f"We're on the {plan} plan, so I expected a faster reply."),
                 a(f"You're right, {plan} includes a one-day response. I've bumped ticket {ident} to priority.")]
        label = "ticket"
    else:
        turns = [c(f"Hi, on our {plan} plan {issue}."),
                 a("Thanks for reporting it. Does it happen for every user or only you?"),
                 c("Every user in our team."),
                 a(f"I've logged incident {ident} for the engineering team and will update you there.")]
        if r.random() < 0.5:
            turns += [c(f"Please mark incident {ident} as urgent."), a("Done, it's marked urgent.")]
        label = "incident"
    sentences = [f"{label} {ident}", f"{label} {ident} {comp}", f"status of {label} {ident}",
                 f"any news on {label} {ident}", f"{label} {ident} {plan} plan",
                 f"the {comp} {label} {ident}"]
    key = ("software", problem, comp, ver if problem in ("crash", "fields", "duplicates") else
           browser if problem == "blank" else day)
    return {"turns": turns, "key": key, "sentences": sentences, "paraphrases": [para.format(**f)]}


ACTIONS = ["installing the desktop sync client", "updating the Outlook add-in",
           "opening a shared folder", "signing in to the desktop app", "restoring a backup",
           "printing from the invoice module", "mapping the network drive", "running the nightly export"]
PLATFORMS = ["Windows 11", "Windows 10", "Windows Server 2022"]


def error(r, ident, kind):
    plan = r.choice(SOFTWARE_PLANS)
    if kind == "error_hex":
        action, platform = r.choice(ACTIONS), r.choice(PLATFORMS)
        turns = [c(f"{action[0].upper()}{action[1:]} on {platform} fails with error code {ident}."),
                 a(f"Thanks. Error code {ident} usually means a permissions problem. Are you a local administrator?"),
                 c("I think so, it's my own laptop."),
                 a("Please try again with right-click, Run as administrator, and tell me what you see.")]
        para = [f"{action} on {platform} fails with an access error"]
        key = ("hex", action, platform)
        sentences = [f"error {ident}", f"error code {ident} {platform}", f"{ident} on {platform}",
                     f"error code {ident} when {action}"]
    else:
        comp, browser = r.choice(COMPONENTS), r.choice(BROWSERS)
        turns = [c(f"Opening the {comp} in {browser} gives me {ident} every time."),
                 a(f"Thanks. Does {ident} also show up in a private window?"),
                 c("Yes, same thing."),
                 a(f"Then it is on our side. I've passed {ident} to the engineers who look after the {plan} plan.")]
        para = [f"the {comp} will not open in {browser}, a browser error every time, {plan} customer"]
        key = ("name", comp, browser)
        sentences = [f"error {ident}", f"{ident} in {browser}", f"{comp} {ident}",
                     f"getting {ident} in {browser}"]
    if r.random() < 0.5:
        turns.insert(2, c(f"We're on the {plan} plan, if that matters."))
        turns.insert(3, a(f"Good to know. The {plan} plan gets the newest release first."))
    return {"turns": turns, "key": key, "sentences": sentences, "paraphrases": para}


ROOMS = ["kitchen", "bathroom", "hallway", "utility room", "basement", "spare bedroom"]
PLACES = ["supermarket car park", "train station", "gym", "airport car park", "school gates"]
GADGETS = ["laptop", "tablet", "smartphone", "camera", "smartwatch", "games console"]
CLAIMS = {
    "Home Shield Gold": ["a burst pipe flooded the {room}", "a storm blew tiles off the roof above the {room}",
                         "a ceiling collapsed in the {room}", "a fire in the {room} damaged the cupboards"],
    "Drive Comprehensive": ["hail dented the car roof at the {place}", "a stone cracked the windscreen near the {place}",
                            "someone reversed into my parked car at the {place}", "the car was broken into at the {place}"],
    "Gadget Cover": ["my {gadget} screen shattered when I dropped it", "my {gadget} got water damage in the rain",
                     "my {gadget} was stolen on the {transport}", "my {gadget} stopped charging after a power surge"],
}


def insurance(r, ident, kind):
    plan = r.choice(INSURANCE_PLANS)
    f = dict(room=r.choice(ROOMS), place=r.choice(PLACES), gadget=r.choice(GADGETS),
             transport=r.choice(["bus", "tram", "train"]))
    what = r.choice(CLAIMS[plan]).format(**f)
    ask, para_ask = r.choice([
        ("The assessor has not been in touch since {day}.", "assessor silent since {day}"),
        ("I sent the repair quote on {day} and heard nothing.", "repair quote sent {day} with no answer"),
        ("Can you tell me whether the excess applies?", "asking whether the excess applies"),
        ("When will the payout arrive? It was approved on {day}.", "payout approved {day} but not received"),
    ])
    day = r.choice(DAYS)
    turns = [c(f"Hi, I'm checking on my claim, reference {ident}."),
             a(f"Thanks. I can see claim {ident} on your {plan} policy: {what}."),
             c(ask.format(day=day)),
             a(f"I've chased it with the claims team and added a note to reference {ident}; expect a reply within two days.")]
    if r.random() < 0.4:
        turns[2:2] = [c("Yes, that's the one."), a("What would you like to know about it?")]
    sentences = [f"claim {ident}", f"claim reference {ident}", f"status of claim {ident}",
                 f"{plan} claim {ident}", f"reference {ident} claim update"]
    return {"turns": turns, "key": ("insurance", what, ask, day), "sentences": sentences,
            "paraphrases": [f"{plan} claim: {what}; {para_ask.format(day=day)}"]}


CITIES = ["Lisbon", "Oslo", "Dublin", "Vienna", "Porto", "Athens", "Krakow", "Seville", "Milan",
          "Helsinki", "Valencia", "Prague"]


def airline(r, ident, kind):
    fare, city = r.choice(FARES), r.choice(CITIES)
    other = r.choice([x for x in FARES if x != fare])
    problem, text, para, answer = r.choice([
        ("change", "I need to move my flight to {city} to a later date.", "move the {city} flight to a later day, booked on {fare}",
         "With {fare} you can change the date; the new flight costs the same."),
        ("seats", "The seats I picked for the flight to {city} have disappeared.", "seat selection vanished on the {city} flight booked as {fare}",
         "I've put the same seats back on the {city} flight."),
        ("bag", "My checked bag did not arrive in {city}.", "checked suitcase missing after landing in {city}, {fare} fare",
         "The bag is traced to the next flight into {city}; it will be couriered to you."),
        ("refund", "My flight to {city} was cancelled and I want a refund.", "refund wanted for a cancelled {city} flight on {fare}",
         "The refund for the cancelled {city} flight will reach you in seven working days."),
        ("meal", "I need a vegetarian meal on the flight to {city}.", "vegetarian meal request for the {city} trip, {fare} fare",
         "A vegetarian meal is now added for the {city} flight."),
        ("upgrade", "Can I upgrade the flight to {city} to {other}?", "upgrade the {city} flight from {fare} to {other}",
         "The upgrade to {other} on the {city} flight is done; the difference is charged to the original payment."),
    ])
    f = dict(city=city, fare=fare, other=other)
    turns = [c(text.format(**f) + f" My booking code is {ident}."),
             a(f"Thanks, I have booking {ident} open: a {fare} fare to {city}."),
             c("Yes, that's right."),
             a(answer.format(**f) + f" The change is saved on booking {ident}.")]
    sentences = [f"booking {ident}", f"booking code {ident}", f"flight to {city} booking {ident}",
                 f"{city} booking {ident}", f"booking {ident} {fare}"]
    return {"turns": turns, "key": ("airline", problem, city, fare), "sentences": sentences,
            "paraphrases": [para.format(**f)]}


SERVICES = ["video streaming", "cloud photo storage", "music streaming", "meal kit", "language learning",
            "fitness classes", "audiobook", "news"]


def subscription(r, ident, kind):
    plan, service, day = r.choice(SUBSCRIPTION_PLANS), r.choice(SERVICES), r.choice(DAYS)
    problem, text, para = r.choice([
        ("after_cancel", "I cancelled the {plan} plan on {day} but invoice {ident} still charged me.",
         "still billed for {plan} on the {service} subscription after cancelling on {day}"),
        ("double", "Invoice {ident} charged me twice for the {plan} plan this month.",
         "double charge this month for {plan} {service}"),
        ("upgrade", "I upgraded to the {plan} plan on {day} but invoice {ident} still shows the old price.",
         "upgraded the {service} subscription to {plan} on {day} but billed the old price"),
        ("student", "The student discount is missing from invoice {ident} for the {plan} plan.",
         "student discount not applied to the {plan} {service} bill"),
        ("unused", "I want a refund for the unused months on the {plan} plan, invoice {ident}.",
         "refund for unused months of the {service} {plan} plan"),
    ])
    f = dict(plan=plan, service=service, day=day, ident=ident)
    turns = [c(f"Hi, it's about my {service} subscription. " + text.format(**f)),
             a(f"Let me pull up invoice {ident}. I can see the {plan} plan charge."),
             c("So can you fix it?"),
             a(f"Yes, I've issued a correction; a credit note for invoice {ident} will follow by e-mail.")]
    if r.random() < 0.5:
        turns += [c("How long will that take?"), a("Up to five working days to show on your statement.")]
    sentences = [f"invoice {ident}", f"refund for invoice {ident}", f"{plan} invoice {ident}",
                 f"invoice {ident} {service}", f"wrong charge on invoice {ident}"]
    key = ("subscription", problem, plan, service, day if problem in ("after_cancel", "upgrade") else "")
    return {"turns": turns, "key": key, "sentences": sentences, "paraphrases": [para.format(**f)]}


SCENARIOS = {"order": order, "parcel": parcel, "return": ret, "telecom": telecom, "software": software,
             "error": error, "insurance": insurance, "airline": airline, "subscription": subscription}
