//! Every `cxone.*` setting, in one place.

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting};
use std::ffi::CString;

/// Name of the row in `cxone_mappings` that the ingest trigger uses.
pub static MAPPING: GucSetting<Option<CString>> =
    GucSetting::<Option<CString>>::new(Some(c"default"));

pub fn init() {
    GucRegistry::define_string_guc(
        c"cxone.mapping",
        c"Name of the cxone_mappings row that the ingest trigger applies.",
        c"Set per database or role to ingest different payload shapes. A name that does not exist makes every new payload 'invalid' with a reason; nothing is lost.",
        &MAPPING,
        GucContext::Userset,
        GucFlags::default(),
    );
}

/// The configured mapping name.
pub fn mapping_name() -> String {
    MAPPING
        .get()
        .and_then(|s| s.into_string().ok())
        .unwrap_or_else(|| "default".into())
}
