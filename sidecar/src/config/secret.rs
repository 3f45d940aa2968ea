//! How a secret setting shows in `Debug` (logs, panics): only whether it is set.

pub fn shown(value: &Option<String>) -> &'static str {
    if value.is_some() {
        "<set>"
    } else {
        "<unset>"
    }
}
