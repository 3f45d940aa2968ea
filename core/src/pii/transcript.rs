//! A labelled transcript read line by line for PII detection: who said each line (its label, as
//! `conversation::assemble` writes it: "Customer: ...") and whether the line before asked for a
//! ZIP code or postcode, so that a bare "It's 60614." answering it is read as one.

use crate::messages::Speaker;

/// One line's text (byte range into the transcript, label removed) and what is known about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub start: usize,
    pub end: usize,
    pub speaker: Option<Speaker>,
    pub answers_zip_question: bool,
}

/// The lines of `text`; a line whose label is not in `labels` has no known speaker.
pub fn lines(text: &str, labels: &[(&str, Speaker)]) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    let mut asked_by: Option<Option<Speaker>> = None;
    let mut at = 0;
    for raw in text.split_inclusive('\n') {
        let content = raw.trim_end_matches(['\n', '\r']);
        let (skip, speaker) = labels
            .iter()
            .find_map(|(label, who)| {
                let rest = content.strip_prefix(label)?.strip_prefix(':')?;
                let pad = rest.len() - rest.trim_start().len();
                Some((label.len() + 1 + pad, Some(*who)))
            })
            .unwrap_or((0, None));
        let body = &content[skip..];
        // An answer comes from the other side of the conversation, on the next line.
        let answers = asked_by.is_some_and(|asker| asker.is_none() || asker != speaker);
        out.push(Line {
            start: at + skip,
            end: at + content.len(),
            speaker,
            answers_zip_question: answers,
        });
        asked_by = super::postcode::asks_for_zip(body).then_some(speaker);
        at += raw.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_speakers_and_zip_questions() {
        let text = "Agent: Can I have the ZIP code on the account?\nCustomer: It's 60614.\nBot: ok";
        let labels = [("Customer", Speaker::Customer), ("Agent", Speaker::Agent)];
        let l = lines(text, &labels);
        assert_eq!(l.len(), 3);
        assert_eq!(&text[l[1].start..l[1].end], "It's 60614.");
        assert_eq!(l[0].speaker, Some(Speaker::Agent));
        assert_eq!(l[1].speaker, Some(Speaker::Customer));
        assert!(!l[0].answers_zip_question && l[1].answers_zip_question);
        assert_eq!(l[2].speaker, None);
        assert_eq!(&text[l[2].start..l[2].end], "Bot: ok");
        assert!(!l[2].answers_zip_question);
    }
}
