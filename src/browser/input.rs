//! Trusted input through CDP `Input`, the way Puppeteer (and so @puppeteer/replay) sends it:
//! mouse and touch at page coordinates, keys with their DOM `key`, `code` and key code, and
//! the modifiers held by earlier `keyDown` steps applied to every later event.
//!
//! Why not WebDriver actions: WebDriver knows only part of the keys the Recorder writes
//! (`CapsLock`, `F13`, `KeyA`, media keys have no WebDriver code point), and its element
//! clicks refuse an element another one covers ("element click intercepted"), while the
//! Recorder's replay clicks at a point, whatever is on top: the common custom checkbox is an
//! `opacity: 0` input under its label, and the click lands on the label, as it did for the user.

use serde_json::{json, Value};

/// What a key sends, as Puppeteer's US keyboard layout describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyDef {
    pub key: String,
    pub code: String,
    pub key_code: u32,
    /// The text the key types, if it types any.
    pub text: Option<String>,
    /// 0 standard, 1 left, 2 right, 3 numpad.
    pub location: u32,
}

fn def(key: &str, code: &str, key_code: u32, text: Option<&str>, location: u32) -> KeyDef {
    KeyDef {
        key: key.to_string(),
        code: code.to_string(),
        key_code,
        text: text.map(str::to_string),
        location,
    }
}

/// Printable keys of the US layout off the letter rows: (code, key code, unshifted, shifted).
const PUNCTUATION: &[(&str, u32, char, char)] = &[
    ("Semicolon", 186, ';', ':'),
    ("Equal", 187, '=', '+'),
    ("Comma", 188, ',', '<'),
    ("Minus", 189, '-', '_'),
    ("Period", 190, '.', '>'),
    ("Slash", 191, '/', '?'),
    ("Backquote", 192, '`', '~'),
    ("BracketLeft", 219, '[', '{'),
    ("Backslash", 220, '\\', '|'),
    ("BracketRight", 221, ']', '}'),
    ("Quote", 222, '\'', '"'),
];

/// The characters Shift gives on the digit row, `0` to `9`.
const SHIFTED_DIGITS: &str = ")!@#$%^&*(";

/// Named keys: (name as written in recordings, DOM key, code, key code, text, location).
const NAMED: &[(&str, &str, &str, u32, &str, u32)] = &[
    ("Cancel", "Cancel", "Abort", 3, "", 0),
    ("Abort", "Cancel", "Abort", 3, "", 0),
    ("Help", "Help", "Help", 6, "", 0),
    ("Backspace", "Backspace", "Backspace", 8, "", 0),
    ("Tab", "Tab", "Tab", 9, "", 0),
    ("Clear", "Clear", "Numpad5", 12, "", 3),
    ("Numpad5", "Clear", "Numpad5", 12, "", 3),
    ("Enter", "Enter", "Enter", 13, "\r", 0),
    ("\r", "Enter", "Enter", 13, "\r", 0),
    ("\n", "Enter", "Enter", 13, "\r", 0),
    ("NumpadEnter", "Enter", "NumpadEnter", 13, "\r", 3),
    ("Shift", "Shift", "ShiftLeft", 16, "", 1),
    ("ShiftLeft", "Shift", "ShiftLeft", 16, "", 1),
    ("ShiftRight", "Shift", "ShiftRight", 16, "", 2),
    ("Control", "Control", "ControlLeft", 17, "", 1),
    ("ControlLeft", "Control", "ControlLeft", 17, "", 1),
    ("ControlRight", "Control", "ControlRight", 17, "", 2),
    ("Alt", "Alt", "AltLeft", 18, "", 1),
    ("AltLeft", "Alt", "AltLeft", 18, "", 1),
    ("AltRight", "Alt", "AltRight", 18, "", 2),
    ("AltGraph", "AltGraph", "AltRight", 225, "", 2),
    ("Meta", "Meta", "MetaLeft", 91, "", 1),
    ("MetaLeft", "Meta", "MetaLeft", 91, "", 1),
    ("MetaRight", "Meta", "MetaRight", 92, "", 2),
    ("Pause", "Pause", "Pause", 19, "", 0),
    ("CapsLock", "CapsLock", "CapsLock", 20, "", 0),
    ("Escape", "Escape", "Escape", 27, "", 0),
    ("Convert", "Convert", "Convert", 28, "", 0),
    ("NonConvert", "NonConvert", "NonConvert", 29, "", 0),
    ("Accept", "Accept", "", 30, "", 0),
    ("ModeChange", "ModeChange", "", 31, "", 0),
    (" ", " ", "Space", 32, " ", 0),
    ("Space", " ", "Space", 32, " ", 0),
    ("PageUp", "PageUp", "PageUp", 33, "", 0),
    ("PageDown", "PageDown", "PageDown", 34, "", 0),
    ("End", "End", "End", 35, "", 0),
    ("Home", "Home", "Home", 36, "", 0),
    ("ArrowLeft", "ArrowLeft", "ArrowLeft", 37, "", 0),
    ("ArrowUp", "ArrowUp", "ArrowUp", 38, "", 0),
    ("ArrowRight", "ArrowRight", "ArrowRight", 39, "", 0),
    ("ArrowDown", "ArrowDown", "ArrowDown", 40, "", 0),
    ("Select", "Select", "Select", 41, "", 0),
    ("Print", "Print", "", 42, "", 0),
    ("Execute", "Execute", "Open", 43, "", 0),
    ("Open", "Execute", "Open", 43, "", 0),
    ("PrintScreen", "PrintScreen", "PrintScreen", 44, "", 0),
    ("Insert", "Insert", "Insert", 45, "", 0),
    ("Delete", "Delete", "Delete", 46, "", 0),
    ("ContextMenu", "ContextMenu", "ContextMenu", 93, "", 0),
    ("NumpadMultiply", "*", "NumpadMultiply", 106, "*", 3),
    ("NumpadAdd", "+", "NumpadAdd", 107, "+", 3),
    ("NumpadSubtract", "-", "NumpadSubtract", 109, "-", 3),
    ("NumpadDecimal", ".", "NumpadDecimal", 110, ".", 3),
    ("NumpadDivide", "/", "NumpadDivide", 111, "/", 3),
    ("NumpadEqual", "=", "NumpadEqual", 187, "=", 3),
    ("NumLock", "NumLock", "NumLock", 144, "", 0),
    ("ScrollLock", "ScrollLock", "ScrollLock", 145, "", 0),
    (
        "AudioVolumeMute",
        "AudioVolumeMute",
        "AudioVolumeMute",
        173,
        "",
        0,
    ),
    (
        "AudioVolumeDown",
        "AudioVolumeDown",
        "AudioVolumeDown",
        174,
        "",
        0,
    ),
    (
        "AudioVolumeUp",
        "AudioVolumeUp",
        "AudioVolumeUp",
        175,
        "",
        0,
    ),
    (
        "MediaTrackNext",
        "MediaTrackNext",
        "MediaTrackNext",
        176,
        "",
        0,
    ),
    (
        "MediaTrackPrevious",
        "MediaTrackPrevious",
        "MediaTrackPrevious",
        177,
        "",
        0,
    ),
    ("MediaStop", "MediaStop", "MediaStop", 178, "", 0),
    (
        "MediaPlayPause",
        "MediaPlayPause",
        "MediaPlayPause",
        179,
        "",
        0,
    ),
    ("Attn", "Attn", "", 246, "", 0),
    ("CrSel", "CrSel", "Props", 247, "", 0),
    ("Props", "CrSel", "Props", 247, "", 0),
    ("ExSel", "ExSel", "", 248, "", 0),
    ("EraseEof", "EraseEof", "", 249, "", 0),
    ("Play", "Play", "", 250, "", 0),
    ("ZoomOut", "ZoomOut", "", 251, "", 0),
    ("Power", "Power", "Power", 0, "", 0),
    ("Eject", "Eject", "Eject", 0, "", 0),
    ("SoftLeft", "SoftLeft", "", 0, "", 4),
    ("SoftRight", "SoftRight", "", 0, "", 4),
    ("Camera", "Camera", "", 44, "", 4),
    ("Call", "Call", "", 0, "", 4),
    ("EndCall", "EndCall", "", 95, "", 4),
    ("VolumeDown", "VolumeDown", "", 182, "", 4),
    ("VolumeUp", "VolumeUp", "", 183, "", 4),
    ("\u{0}", "\u{0}", "", 0, "", 0),
];

/// The key a recording names (`Enter`, `a`, `A`, `KeyA`, `Digit1`, `Shift`, `F13`, `é`, …)
/// with Shift held or not; `None` for a name no keyboard has.
pub fn key_definition(name: &str, shift: bool) -> Option<KeyDef> {
    if let Some(&(_, key, code, key_code, text, location)) = NAMED.iter().find(|(n, ..)| *n == name)
    {
        let text = (!text.is_empty()).then_some(text);
        return Some(def(key, code, key_code, text, location));
    }
    if let Some(n) = name.strip_prefix('F').and_then(|n| n.parse::<u32>().ok()) {
        if (1..=24).contains(&n) {
            return Some(def(name, name, 111 + n, None, 0));
        }
    }
    let printable = |c: char, code: String, key_code: u32, location: u32| {
        let s = c.to_string();
        Some(def(&s, &code, key_code, Some(&s), location))
    };
    if let Some(d) = name.strip_prefix("Numpad").and_then(single_char) {
        if let Some(v) = d.to_digit(10) {
            return printable(d, name.to_string(), 96 + v, 3);
        }
    }
    // `KeyA`, `Digit1`, `Semicolon`: a code names the key; Shift decides what it types.
    if let Some(c) = name.strip_prefix("Key").and_then(single_char) {
        if c.is_ascii_uppercase() {
            let c = if shift { c } else { c.to_ascii_lowercase() };
            return printable(c, name.to_string(), c.to_ascii_uppercase() as u32, 0);
        }
    }
    if let Some(d) = name.strip_prefix("Digit").and_then(single_char) {
        if let Some(v) = d.to_digit(10) {
            let c = if shift {
                SHIFTED_DIGITS.chars().nth(v as usize).unwrap_or(d)
            } else {
                d
            };
            return printable(c, name.to_string(), 48 + v, 0);
        }
    }
    if let Some(&(code, key_code, plain, shifted)) =
        PUNCTUATION.iter().find(|(code, ..)| *code == name)
    {
        return printable(
            if shift { shifted } else { plain },
            code.to_string(),
            key_code,
            0,
        );
    }
    // A single character: the key that types it on a US keyboard, else a key of its own.
    let c = single_char(name)?;
    if c.is_ascii_alphabetic() {
        let c = if shift { c.to_ascii_uppercase() } else { c };
        let upper = c.to_ascii_uppercase();
        return printable(c, format!("Key{upper}"), upper as u32, 0);
    }
    if let Some(v) = c.to_digit(10) {
        return printable(c, format!("Digit{v}"), 48 + v, 0);
    }
    if let Some(i) = SHIFTED_DIGITS.find(c) {
        return printable(c, format!("Digit{i}"), 48 + i as u32, 0);
    }
    if let Some(&(code, key_code, ..)) = PUNCTUATION
        .iter()
        .find(|(_, _, plain, shifted)| *plain == c || *shifted == c)
    {
        return printable(c, code.to_string(), key_code, 0);
    }
    printable(c, String::new(), 0, 0)
}

fn single_char(s: &str) -> Option<char> {
    let mut chars = s.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

/// The CDP modifier bit of a modifier key: Alt 1, Control 2, Meta 4, Shift 8.
pub fn modifier_bit(key: &str) -> u32 {
    match key {
        "Alt" => 1,
        "Control" => 2,
        "Meta" => 4,
        "Shift" => 8,
        _ => 0,
    }
}

/// `Input.dispatchKeyEvent` parameters for pressing or releasing a key with `modifiers` held
/// (Puppeteer's: a key that types sends `keyDown` with its text, others `rawKeyDown`; with a
/// modifier other than Shift held, nothing is typed, so Control+A selects instead of typing).
pub fn key_event(k: &KeyDef, down: bool, modifiers: u32) -> Value {
    let text = k
        .text
        .clone()
        .filter(|_| down && modifiers & !8 == 0)
        .unwrap_or_default();
    let kind = match (down, text.is_empty()) {
        (false, _) => "keyUp",
        (true, false) => "keyDown",
        (true, true) => "rawKeyDown",
    };
    json!({
        "type": kind,
        "modifiers": modifiers,
        "windowsVirtualKeyCode": k.key_code,
        "code": k.code,
        "key": k.key,
        "text": text,
        "unmodifiedText": text,
        "location": k.location,
        "isKeypad": k.location == 3,
    })
}

/// CDP's name of a Recorder mouse button, and its bit in `buttons`.
pub fn mouse_button(b: crate::recording::MouseButton) -> (&'static str, u32) {
    use crate::recording::MouseButton as B;
    match b {
        B::Primary => ("left", 1),
        B::Secondary => ("right", 2),
        B::Auxiliary => ("middle", 4),
        B::Back => ("back", 8),
        B::Forward => ("forward", 16),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorder_key_names_resolve_like_puppeteers_layout() {
        let enter = key_definition("Enter", false).expect("Enter");
        assert_eq!((enter.code.as_str(), enter.key_code), ("Enter", 13));
        assert_eq!(enter.text.as_deref(), Some("\r"));
        let a = key_definition("a", true).expect("a");
        assert_eq!(
            (a.key.as_str(), a.code.as_str(), a.key_code),
            ("A", "KeyA", 65)
        );
        assert_eq!(key_definition("KeyA", false).expect("KeyA").key, "a");
        assert_eq!(key_definition("Digit1", true).expect("Digit1").key, "!");
        assert_eq!(key_definition("?", false).expect("?").code, "Slash");
        assert_eq!(key_definition("F13", false).expect("F13").key_code, 124);
        let shift = key_definition("ShiftRight", false).expect("ShiftRight");
        assert_eq!((shift.key.as_str(), shift.location), ("Shift", 2));
        assert_eq!(key_definition("Numpad7", false).expect("Numpad7").key, "7");
        assert_eq!(
            key_definition("é", false).expect("é").text.as_deref(),
            Some("é")
        );
        assert_eq!(key_definition("NoSuchKey", false), None);
    }

    #[test]
    fn a_held_control_types_nothing() {
        let a = key_definition("a", false).expect("a");
        assert_eq!(key_event(&a, true, 0)["type"], "keyDown");
        let ctrl_a = key_event(&a, true, modifier_bit("Control"));
        assert_eq!(
            (ctrl_a["type"].as_str(), ctrl_a["text"].as_str()),
            (Some("rawKeyDown"), Some(""))
        );
        assert_eq!(key_event(&a, true, modifier_bit("Shift"))["text"], "a");
        assert_eq!(key_event(&a, false, 0)["type"], "keyUp");
    }
}
