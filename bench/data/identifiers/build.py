#!/usr/bin/env python3
"""Writes the identifier evaluation set (conversations.jsonl, queries.jsonl) beside this file:
400 generated contact-center chats, each naming one order, case, tracking, booking, invoice or
error identifier, and the queries that must find it. Deterministic: same seed, same bytes."""
import json
import random
import re
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ beside the data
from scenarios import AGENTS, PLANS, SCENARIOS  # noqa: E402  (the chats, one builder per domain)

SEED = 20250611
HERE = Path(__file__).resolve().parent

# PostgreSQL's english stop words: a sentence query may use these freely; every other word in it
# must occur in its conversation, so even an all-words-must-match keyword query can find it.
STOP = set("""i me my myself we our ours ourselves you your yours yourself yourselves he him his
himself she her hers herself it its itself they them their theirs themselves what which who whom
this that these those am is are was were be been being have has had having do does did doing a an
the and but if or because as until while of at by for with about against between into through
during before after above below to from up down in out on off over under again further then once
here there when where why how all any both each few more most other some such no nor not only own
same so than too very s t can will just don should now""".split())



def kind_table():
    """(kind, how many, domain, generator, characters every id of the kind shares up front)."""
    def d(r, n):
        return "".join(r.choice("0123456789") for _ in range(n))

    def a(r, n, chars="ABCDEFGHJKLMNPQRSTUVWXYZ23456789"):
        return "".join(r.choice(chars) for _ in range(n))

    return [
        ("amazon_order", 50, "order", lambda r: f"11{r.choice('234')}-{d(r, 7)}-{d(r, 7)}", 3),
        ("rma", 25, "return", lambda r: f"RMA-{r.choice(['2024', '2025'])}-{d(r, 4)}", 9),
        ("reference", 30, "insurance", lambda r: f"REF-{r.choice(['2023', '2024', '2025'])}-00{d(r, 4)}", 9),
        ("ups", 40, "parcel", lambda r: f"1Z{r.choice(['999AA1', '4E1F92', 'X0V72W'])}{r.choice(['01', '02', '03', '12'])}{d(r, 8)}", 8),
        ("usps", 35, "parcel", lambda r: f"{r.choice(['94001', '92055', '93612'])}{d(r, 17)}", 5),
        ("fedex", 35, "parcel", lambda r: f"{r.choice(['7749', '7712', '7731'])}{d(r, 8)}", 4),
        ("case", 35, "telecom", lambda r: f"CS00{r.choice('12')}{d(r, 4)}", 5),
        ("incident", 30, "software", lambda r: f"INC00{r.choice('34')}{d(r, 4)}", 6),
        ("ticket", 30, "software", lambda r: f"#{r.choice('45')}{d(r, 4)}", 2),
        ("booking", 35, "airline", lambda r: f"{r.choice(['K7', 'KX', 'Q7', 'ZP'])}{a(r, 3)}{d(r, 1)}", 2),
        ("error_hex", 20, "error", lambda r: f"0x{r.choice(['8007', '8024', 'C004'])}{a(r, 4, '0123456789ABCDEF')}", 6),
        ("error_name", 10, "error", None, 0),
        ("invoice", 25, "subscription", lambda r: f"INV-{d(r, 6)}", 4),
    ]


# Chromium-style names; no two share all their words, so each is found only by itself.
ERROR_NAMES = ["ERR_CONN_RESET", "ERR_CONNECTION_REFUSED", "ERR_NAME_NOT_RESOLVED",
               "ERR_SSL_PROTOCOL_ERROR", "ERR_CERT_DATE_INVALID", "ERR_TOO_MANY_REDIRECTS",
               "ERR_PROXY_AUTH_REQUIRED", "ERR_SYNC_QUOTA_EXCEEDED", "ERR_TOKEN_EXPIRED",
               "ERR_UPLOAD_SIZE_LIMIT"]


def luhn_valid(digits):
    total = 0
    for i, c in enumerate(reversed(digits)):
        n = int(c) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def sibling(r, ident, fixed):
    """A near miss: one or two characters after the shared prefix changed, class kept."""
    chars = list(ident)
    spots = [i for i in range(fixed, len(chars)) if chars[i].isalnum()]
    for i in r.sample(spots, r.choice([1, 1, 2])):
        pool = ("0123456789" if chars[i].isdigit() else
                "ABCDEF" if ident.startswith("0x") else "ABCDEFGHJKLMNPQRSTUVWXYZ")
        chars[i] = r.choice([c for c in pool if c != chars[i]])
    return "".join(chars)


def make_identifiers(r):
    out, seen = [], set()
    for kind, count, domain, gen, fixed in kind_table():
        if gen is None:
            out += [(kind, domain, name) for name in ERROR_NAMES[:count]]
            continue
        mine = []
        while len(mine) < count:
            # Half are siblings of an earlier id of the same kind, so a near match is wrong.
            ident = sibling(r, r.choice(mine), fixed) if mine and r.random() < 0.5 else gen(r)
            digits = re.sub(r"\D", "", ident)
            # A 13 to 19 digit run passing Luhn is redacted as a card number at ingest.
            if ident in seen or (13 <= len(digits) <= 19 and luhn_valid(digits)):
                continue
            seen.add(ident)
            mine.append(ident)
        out += [(kind, domain, i) for i in mine]
    return out


def tokens(text):
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def frame(r, core):
    """Opening and closing turns around a domain's core turns, keeping 4 to 10 in all."""
    agent = r.choice(AGENTS)
    turns = [dict(t) for t in core]
    first_agent = next(t for t in turns if t["speaker"] == "agent")
    style = r.choice(["bot", "agent", "none"])
    if style == "bot":
        turns.insert(0, {"speaker": "bot", "text": r.choice([
            "Hi, I'm the virtual assistant. What can I help you with today?",
            "Welcome to support chat. Please tell me what you need help with.",
            "Hello! I'm an automated assistant. How can I help?"])})
        turns.insert(2, {"speaker": "bot", "text": "Thanks, I'm connecting you with an agent now."})
        first_agent["text"] = f"Hi, {agent} here. " + first_agent["text"]
    elif style == "agent":
        turns.insert(0, {"speaker": "agent", "text":
                         f"Hello, you're chatting with {agent} from customer support. How can I help?"})
    else:
        first_agent["text"] = f"Hi, my name is {agent}. " + first_agent["text"]
    if len(turns) < 5 or r.random() < 0.6:
        turns.append({"speaker": "customer", "text": r.choice([
            "Great, thanks for the help.", "Okay, that works for me.", "Thanks, that's all I needed."])})
        if len(turns) < 10 and r.random() < 0.7:
            turns.append({"speaker": "agent", "text": r.choice([
                "You're welcome. Have a good day!", "Glad I could help. Take care.",
                "No problem at all. Is there anything else? If not, have a nice evening."])})
    return turns


def build():
    r = random.Random(SEED)
    idents = make_identifiers(r)
    r.shuffle(idents)
    convs, queries, used = [], [], set()
    for n, (kind, domain, ident) in enumerate(idents, 1):
        cid = f"idc{n:04d}"
        while True:
            s = SCENARIOS[domain](r, ident, kind)
            if s["key"] not in used:
                break
        used.add(s["key"])
        turns = frame(r, s["turns"])
        convs.append({"id": cid, "turns": turns})
        have = tokens(text_of({"turns": turns}))
        fits = [q for q in s["sentences"] if tokens(q) - STOP <= have]
        assert fits, f"{cid}: no sentence query whose words are all in the conversation"
        queries += [{"conversation": cid, "kind": "bare", "query": ident},
                    {"conversation": cid, "kind": "sentence", "query": r.choice(fits)},
                    {"conversation": cid, "kind": "paraphrase", "query": r.choice(s["paraphrases"])}]
    for plan, noun in PLANS.items():
        ids = [c["id"] for c in convs if plan.lower() in text_of(c).lower()]
        for q in (plan.lower(), f"{plan.lower()} {noun}"):
            queries.append({"kind": "plan", "query": q, "conversations": ids})
    return convs, queries


def text_of(conv):
    return " ".join(t["text"] for t in conv["turns"])


def check(convs, queries):
    texts = {c["id"]: text_of(c) for c in convs}
    toks = {cid: tokens(t) for cid, t in texts.items()}
    bare = {q["conversation"]: q["query"] for q in queries if q["kind"] == "bare"}
    assert len(convs) == 400 and len(set(bare.values())) == len(bare) == 400
    for c in convs:
        assert 4 <= len(c["turns"]) <= 10, c["id"]
    paraphrases = [q["query"] for q in queries if q["kind"] == "paraphrase"]
    assert len(set(paraphrases)) == len(paraphrases) == 400
    for q in queries:
        if q["kind"] == "plan":
            assert len(q["conversations"]) >= 3, q
            hits = [cid for cid, t in toks.items() if tokens(q["query"]) - STOP <= t]
            assert hits == q["conversations"], q
            continue
        cid, ident = q["conversation"], bare[q["conversation"]]
        if q["kind"] == "paraphrase":
            assert ident not in q["query"], q
            assert ident.startswith("ERR_") or not tokens(ident) & tokens(q["query"]), q
            continue
        assert ident in q["query"] and ident in texts[cid], q
        assert tokens(q["query"]) - STOP <= toks[cid], q
        # No personal data: no e-mail address, no long number but the identifier itself.
        assert not re.search(r"@|\d{5}", texts[cid].replace(ident, "")), cid
        # No other chat holds every word of the id: only the exact id finds its conversation.
        others = [o for o, t in toks.items() if o != cid and tokens(ident) <= t]
        assert not others, (ident, others)
        assert not [i for i in bare.values() if i != ident and i in texts[cid]], cid


def main():
    convs, queries = build()
    check(convs, queries)
    sizes = []
    for name, rows in (("conversations.jsonl", convs), ("queries.jsonl", queries)):
        body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
        (HERE / name).write_text(body, encoding="utf-8")
        sizes.append(len(body.encode()))
    assert sum(sizes) < 1_000_000
    print(f"{len(convs)} conversations, {len(queries)} queries, {sum(sizes) // 1024} KiB")


if __name__ == "__main__":
    main()
