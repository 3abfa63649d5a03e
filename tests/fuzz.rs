//! Fuzzing on the stable toolchain: every input format reprise reads from users (recordings,
//! HAR, rrweb streams, `reprise.toml`, PNG, and the privacy walkers over all of them) is fed
//! seed files and mutations of them, and must neither panic, nor hang, nor allocate without
//! bound.
//!
//! Each target runs a bounded pass in every test run (a few seconds; `REPRISE_FUZZ_SECS` makes
//! it longer, see docs/fuzzing.md). Mutations are structure-aware where the format has a
//! structure worth keeping (JSON values, TOML lines, PNG chunks with their CRCs, PNGs generated
//! in every colour type and bit depth) and byte-level otherwise. The sequence of inputs depends
//! only on the seed printed at the start, so a finding can be replayed; its input is also saved
//! under `target/tmp/fuzz-findings/` and belongs in `fuzz/regressions/<target>/` once fixed.
//!
//! The targets themselves are in `fuzz/targets.rs`, shared with the cargo-fuzz targets.

#[path = "../fuzz/targets.rs"]
mod targets;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Memory accounting: live bytes per thread, the peak of one input, and a hard cap on a single
// allocation (beyond it the process would abort or swap; the input is written out first).

/// One allocation larger than this, on a fuzzing thread, is a finding: the input is saved and
/// the process aborts before the allocation is attempted.
const HARD_CAP: usize = 1 << 30;

struct Counting;

thread_local! {
    static FUZZING: Cell<bool> = const { Cell::new(false) };
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
    /// The input being run and where to save it, for the hard cap (no allocation allowed).
    static INPUT: Cell<(*const u8, usize)> = const { Cell::new((std::ptr::null(), 0)) };
    static DUMP_PATH: Cell<*const libc::c_char> = const { Cell::new(std::ptr::null()) };
}

fn account(delta: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + delta;
        live.set(now);
        let _ = PEAK.try_with(|peak| {
            if now > peak.get() {
                peak.set(now);
            }
        });
    });
}

/// Writes the current input to the thread's dump path and aborts, without allocating.
fn over_hard_cap(size: usize) -> ! {
    let (ptr, len) = INPUT.try_with(Cell::get).unwrap_or((std::ptr::null(), 0));
    let path = DUMP_PATH.try_with(Cell::get).unwrap_or(std::ptr::null());
    let msg: &[u8] = b"\nfuzz: one allocation above the 1 GiB cap; input saved to the target's hard-cap file under target/tmp/fuzz-findings/\n";
    // SAFETY: plain syscalls on buffers that outlive them; the input is alive while it runs.
    unsafe {
        if !path.is_null() && !ptr.is_null() {
            let fd = libc::open(path, libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC, 0o644);
            if fd >= 0 {
                libc::write(fd, ptr.cast(), len);
                libc::close(fd);
            }
        }
        libc::write(2, msg.as_ptr().cast(), msg.len());
        let _ = size;
        libc::abort();
    }
}

// SAFETY: forwards to the system allocator; the bookkeeping only touches const-initialised
// thread locals (no allocation, no unwinding).
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > HARD_CAP && FUZZING.try_with(Cell::get).unwrap_or(false) {
            over_hard_cap(layout.size());
        }
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            account(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > HARD_CAP && FUZZING.try_with(Cell::get).unwrap_or(false) {
            over_hard_cap(layout.size());
        }
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            account(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        account(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > HARD_CAP && FUZZING.try_with(Cell::get).unwrap_or(false) {
            over_hard_cap(new_size);
        }
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            account(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

// ---------------------------------------------------------------------------------------------
// Settings.

/// Inputs are cut to this size: large enough for every seed but the screenshots, small enough
/// for thousands of executions a second.
const MAX_LEN: usize = 128 << 10;

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Seconds per target: a few in the normal test run, more for a long pass.
fn budget() -> Duration {
    Duration::from_millis(env_u64("REPRISE_FUZZ_SECS").map_or(4_000, |s| s * 1000))
}

/// Longest a single input may take before it counts as a hang: generous, because the test
/// build is unoptimised and CI machines are shared; an endless loop trips any bound.
fn hang_bound() -> Duration {
    Duration::from_millis(env_u64("REPRISE_FUZZ_HANG_MS").unwrap_or(20_000))
}

/// Bytes one input may have live at its peak: generous against the input's size, so only
/// blow-ups (a canvas from two header fields, a copy per nesting level) trip it. The PNG
/// decoder has its own 512 MiB allocation limit, which this sits just above.
fn memory_bound(target: &str, input_len: usize) -> isize {
    match target {
        "png" => 600 << 20,
        _ => (64 << 20) + 256 * input_len as isize,
    }
}

fn findings_dir(target: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("fuzz-findings")
        .join(target);
    std::fs::create_dir_all(&dir).expect("create the fuzz findings folder");
    dir
}

// ---------------------------------------------------------------------------------------------
// Running one input.

enum Outcome {
    Ok,
    Panic(String),
    Memory(isize),
}

thread_local! {
    static PANIC_MSG: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Panics on fuzzing threads are recorded, not printed: thousands of them would bury the
/// summary. Other threads keep the default hook.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if FUZZING.try_with(Cell::get).unwrap_or(false) {
                let msg = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                let at = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let _ = PANIC_MSG.try_with(|m| *m.borrow_mut() = Some(format!("{at}: {msg}")));
            } else {
                default(info);
            }
        }));
    });
}

fn exec(target: &str, data: &[u8]) -> Outcome {
    INPUT.with(|c| c.set((data.as_ptr(), data.len())));
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    FUZZING.with(|f| f.set(true));
    let result = std::panic::catch_unwind(|| targets::run(target, data));
    FUZZING.with(|f| f.set(false));
    INPUT.with(|c| c.set((std::ptr::null(), 0)));
    let peak = PEAK.with(Cell::get) - base;
    match result {
        Err(_) => Outcome::Panic(
            PANIC_MSG
                .with(|m| m.borrow_mut().take())
                .unwrap_or_else(|| "panic without a message".into()),
        ),
        Ok(()) if peak > memory_bound(target, data.len()) => Outcome::Memory(peak),
        Ok(()) => Outcome::Ok,
    }
}

// ---------------------------------------------------------------------------------------------
// Randomness: splitmix64, seeded from the environment or the clock.

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds.

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Files under `dir` (recursively) whose name ends with one of `exts`; none when it is missing.
fn files(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, exts, out);
        } else if exts.is_empty()
            || exts
                .iter()
                .any(|e| path.to_string_lossy().ends_with(&format!(".{e}")))
        {
            out.push(path);
        }
    }
}

/// The seed inputs of a target: the third-party fixtures in `tests/fixtures` (the same files
/// as the shared fixtures, attribution in tests/fixtures/README.txt), the repo's own suite, and
/// the target's corpus and regressions under `fuzz/`.
fn seed_paths(target: &str) -> Vec<PathBuf> {
    let r = repo();
    let fx = r.join("tests/fixtures");
    let mut out = Vec::new();
    let (dirs, exts): (Vec<PathBuf>, &[&str]) = match target {
        "recording" => (
            vec![
                fx.join("chrome-recorder"),
                r.join("recordings"),
                fx.join("hostile"),
                fx.join("privacy/recordings"),
            ],
            &["json"],
        ),
        "har" => (
            vec![
                fx.join("har"),
                r.join("mocks"),
                fx.join("hostile"),
                fx.join("privacy/mocks"),
                fx.join("record"),
            ],
            &["har"],
        ),
        "rrweb" => (vec![fx.join("rrweb")], &["json"]),
        "config" => (vec![fx.join("privacy")], &["toml"]),
        "png" => (
            vec![fx.join("hostile"), r.join("snapshots/checkout")],
            &["png"],
        ),
        "privacy" => (
            vec![
                fx.join("privacy"),
                fx.join("har"),
                fx.join("chrome-recorder"),
                r.join("snapshots/checkout"),
            ],
            &["har", "json", "dom"],
        ),
        other => panic!("no fuzz target `{other}`"),
    };
    for d in dirs {
        files(&d, exts, &mut out);
    }
    if target == "config" {
        out.push(r.join("reprise.toml"));
    }
    files(&r.join("fuzz/seeds").join(target), &[], &mut out);
    files(&r.join("fuzz/regressions").join(target), &[], &mut out);
    out.retain(|p| p.extension().is_none_or(|e| e != "md"));
    out
}

fn load_seeds(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let seeds: Vec<(PathBuf, Vec<u8>)> = seed_paths(target)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
            (p, bytes)
        })
        .collect();
    assert!(
        seeds.len() >= 2,
        "the `{target}` fuzz target has {} seed files; the fixtures under tests/fixtures and \
         fuzz/seeds/{target} are part of the repository",
        seeds.len()
    );
    seeds
}

// ---------------------------------------------------------------------------------------------
// Mutations.

const STRINGS: &[&str] = &[
    "",
    " ",
    "navigate",
    "click",
    "doubleClick",
    "change",
    "setViewport",
    "keyDown",
    "keyUp",
    "scroll",
    "hover",
    "waitForElement",
    "waitForExpression",
    "close",
    "customStep",
    "emulateNetworkConditions",
    "main",
    "aria/Submit",
    "aria/[role=\"button\"]",
    "xpath///*[@data-test=\"x\"]",
    "pierce/#shadow > b",
    "text/Buy now",
    "#id > .c:nth-child(2) ~ a[href^='/']",
    "div[[[",
    ">> span",
    "http://127.0.0.1:1/",
    "https://shop.example/p/1?q=a%20b&x=%ZZ#frag",
    "http://[::1]:99999/",
    "data:text/html,<b>x</b>",
    "about:blank",
    "file:///etc/passwd",
    "../../etc/passwd",
    "har-sha1-main-response.txt",
    "base64",
    "text/html; charset=utf-8",
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "a=1&b=%E2%82%AC&c",
    "{\"a\":[1,{\"b\":null}]}",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
    "jane.doe@mail.com",
    "4111 1111 1111 1111",
    "DE89 3704 0044 0532 0130 00",
    "+44 20 7946 0958",
    "Authorization",
    "Bearer abc.def.ghi",
    "Cookie",
    "Set-Cookie",
    "sid=abc; Path=/; HttpOnly",
    ":authority",
    "GET",
    "POST",
    "HEAD",
    "1970-01-01T00:00:00Z",
    "2024-02-30T25:61:61.999+14:00",
    "-271821-04-20T00:00:00.000Z",
    "\u{0}",
    "\u{feff}",
    "😀\u{202e}é\u{301}",
    "\r\n",
    "<!-- -->",
    "<script>x</script>",
    "rrweb/console@1",
    "rrweb/network@1",
    "rr_width",
    "_cssText",
    "CUST-123456",
];

const KEYS: &[&str] = &[
    "type",
    "data",
    "steps",
    "title",
    "selectors",
    "target",
    "frame",
    "url",
    "offsetX",
    "offsetY",
    "button",
    "value",
    "key",
    "timeout",
    "assertedEvents",
    "width",
    "height",
    "deviceScaleFactor",
    "isMobile",
    "hasTouch",
    "isLandscape",
    "operator",
    "count",
    "expression",
    "visible",
    "reprise",
    "checkpoint",
    "log",
    "entries",
    "pages",
    "request",
    "response",
    "method",
    "headers",
    "cookies",
    "queryString",
    "status",
    "statusText",
    "content",
    "text",
    "encoding",
    "mimeType",
    "size",
    "postData",
    "params",
    "_file",
    "_resourceType",
    "_error",
    "redirectURL",
    "startedDateTime",
    "time",
    "timestamp",
    "source",
    "id",
    "node",
    "childNodes",
    "tagName",
    "attributes",
    "adds",
    "removes",
    "texts",
    "parentId",
    "nextId",
    "previousId",
    "href",
    "plugin",
    "payload",
    "events",
    "snapshots",
    "window_id",
    "rootId",
    "isAttachIframe",
    "isShadowHost",
    "isSVG",
    "x",
    "y",
    "positions",
    "isChecked",
    "textContent",
    "initialOffset",
    "name",
    "fullName",
    "email",
    "password",
];

fn interesting_number(rng: &mut Rng) -> Value {
    let n: &[Value] = &[
        0.into(),
        (-1).into(),
        1.into(),
        2.into(),
        3.into(),
        4.into(),
        5.into(),
        6.into(),
        7.into(),
        255.into(),
        256.into(),
        65_535.into(),
        65_536.into(),
        i32::MAX.into(),
        (i64::from(i32::MAX) + 1).into(),
        u32::MAX.into(),
        (1u64 << 53).into(),
        ((1u64 << 53) + 1).into(),
        u64::MAX.into(),
        i64::MIN.into(),
        1e308.into(),
        (-1e308).into(),
        0.5.into(),
        (-0.0).into(),
        1e-300.into(),
        8.64e15.into(),
    ];
    rng.pick(n).clone()
}

fn random_string(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => "a".repeat(rng.below(5000)),
        1 => (0..rng.below(40))
            .map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('x'))
            .collect(),
        2 => format!("{}{}", rng.pick(STRINGS), rng.pick(STRINGS)),
        _ => rng.pick(STRINGS).to_string(),
    }
}

fn random_scalar(rng: &mut Rng) -> Value {
    match rng.below(5) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(2)),
        2 => interesting_number(rng),
        _ => Value::String(random_string(rng)),
    }
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(o) => o.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// The `k`-th node in pre-order, counting from 0; `k` is decremented on the way.
fn nth_mut<'a>(v: &'a mut Value, k: &mut usize) -> Option<&'a mut Value> {
    if *k == 0 {
        return Some(v);
    }
    *k -= 1;
    match v {
        Value::Array(a) => a.iter_mut().find_map(|c| nth_mut(c, k)),
        Value::Object(o) => o.values_mut().find_map(|c| nth_mut(c, k)),
        _ => None,
    }
}

fn random_node(rng: &mut Rng, v: &Value) -> Value {
    let mut v = v.clone();
    let mut k = rng.below(count_nodes(&v));
    nth_mut(&mut v, &mut k)
        .map(|n| n.take())
        .unwrap_or(Value::Null)
}

fn mutate_value(rng: &mut Rng, node: &mut Value, donor: &Value) {
    match rng.below(12) {
        0 => *node = random_scalar(rng),
        1 => *node = random_node(rng, donor),
        2 => *node = Value::Array(vec![node.take()]),
        3 => {
            let key = rng.pick(KEYS).to_string();
            *node = serde_json::json!({ key: node.take() });
        }
        _ => match node {
            Value::Object(o) => match rng.below(4) {
                0 if !o.is_empty() => {
                    let key = o
                        .keys()
                        .nth(rng.below(o.len()))
                        .cloned()
                        .unwrap_or_default();
                    o.remove(&key);
                }
                1 => {
                    o.insert(rng.pick(KEYS).to_string(), random_scalar(rng));
                }
                2 => {
                    o.insert(rng.pick(KEYS).to_string(), random_node(rng, donor));
                }
                _ => *node = Value::Array(o.values().cloned().collect()),
            },
            Value::Array(a) => match rng.below(5) {
                0 if !a.is_empty() => {
                    let i = rng.below(a.len());
                    a.remove(i);
                }
                1 if !a.is_empty() => {
                    let i = rng.below(a.len());
                    let most = if rng.chance(8) { 200 } else { 3 };
                    let copies = 1 + rng.below(most);
                    let item = a[i].clone();
                    for _ in 0..copies {
                        a.insert(i, item.clone());
                    }
                }
                2 => a.reverse(),
                3 => a.truncate(rng.below(a.len() + 1)),
                _ => a.push(random_node(rng, donor)),
            },
            Value::String(s) => match rng.below(4) {
                0 => *s = random_string(rng),
                1 => s.push_str(&random_string(rng)),
                2 => {
                    let cut = s
                        .char_indices()
                        .map(|(i, _)| i)
                        .nth(rng.below(s.chars().count() + 1))
                        .unwrap_or(s.len());
                    s.truncate(cut);
                }
                _ => *node = interesting_number(rng),
            },
            Value::Number(n) => {
                *node = match rng.below(4) {
                    0 => interesting_number(rng),
                    1 => n.as_f64().map_or(Value::Null, |f| serde_json::json!(-f)),
                    2 => Value::String(n.to_string()),
                    _ => n.as_i64().map_or(Value::Null, |i| {
                        i.wrapping_add(rng.below(5) as i64 - 2).into()
                    }),
                };
            }
            Value::Bool(b) => *b = !*b,
            Value::Null => *node = random_scalar(rng),
        },
    }
}

/// Whole-document JSON mutation: 1–4 nodes changed; `None` when `data` is not JSON.
fn mutate_json(rng: &mut Rng, data: &[u8], donor: &[u8]) -> Option<Vec<u8>> {
    let mut v: Value = serde_json::from_slice(data).ok()?;
    let donor: Value = serde_json::from_slice(donor).unwrap_or(Value::Null);
    for _ in 0..1 + rng.below(4) {
        let mut k = rng.below(count_nodes(&v));
        if let Some(node) = nth_mut(&mut v, &mut k) {
            mutate_value(rng, node, &donor);
        }
    }
    if rng.chance(4) {
        serde_json::to_vec_pretty(&v).ok()
    } else {
        serde_json::to_vec(&v).ok()
    }
}

const TOML_LINES: &[&str] = &[
    "[app]",
    "[compare]",
    "[normalize]",
    "[run]",
    "[privacy]",
    "[[override]]",
    "[override.compare]",
    "[override.normalize]",
    "[[privacy.patterns]]",
    "[[normalize.replace]]",
    "dir = \"demo\"",
    "url = \"http://127.0.0.1:1\"",
    "origin = \"http://localhost:8080\"",
    "command = \"true\"",
    "threshold = 0.1",
    "max_diff_pixels = 10",
    "max_diff_ratio = 0.5",
    "include_antialiasing = true",
    "environment = \"error\"",
    "ignore_invisible_class_changes = false",
    "sessions = [\"check*\", \"?\"]",
    "tags = [\"smoke\"]",
    "min_fidelity = 0.95",
    "fail_on_flaky = true",
    "flake_retries = 3",
    "step_timeout_ms = 1000",
    "mask = [\"#clock\", \"div[[[\"]",
    "drop_attributes = [\"nonce\"]",
    "selectors = [\"[data-private]\", \":contains()\"]",
    "fields = [\"fullName\"]",
    "allow = [\"test@example.com\"]",
    "allow_patterns = [\"^a+$\", \"(\"]",
    "patterns = [{ name = \"id\", pattern = \"ID-\\\\d+\" }]",
    "replace = [{ pattern = \"\\\\d{4}\", replacement = \"N\" }]",
    "pattern = \"a{1000}{1000}\"",
    "pattern = \"(a*)*$\"",
    "replacement = \"$1$2${x}\"",
    "name = \"\"",
    "compare = { threshold = -1 }",
    "normalize = { mask = [\"x\"] }",
];

const TOML_VALUES: &[&str] = &[
    "-1",
    "0",
    "1",
    "2",
    "5",
    "7",
    "1e400",
    "-1e400",
    "nan",
    "inf",
    "-inf",
    "0.0",
    "-0.0",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "4294967296",
    "true",
    "\"\"",
    "\"div[[[\"",
    "\"(?x\"",
    "\"*\"",
    "\"**?*\"",
    "[]",
    "[1, \"a\"]",
    "{}",
    "{ a = 1 }",
    "1979-05-27T07:32:00Z",
    "'''\nmulti\n'''",
    "\"\\u0000\"",
];

/// Line-level TOML mutation: lines dropped, repeated, swapped, added, or a value replaced.
fn mutate_toml(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(data);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for _ in 0..1 + rng.below(4) {
        let n = lines.len();
        match rng.below(6) {
            0 if n > 0 => {
                lines.remove(rng.below(n));
            }
            1 if n > 0 => {
                let l = lines[rng.below(n)].clone();
                lines.insert(rng.below(n + 1), l);
            }
            2 if n > 1 => {
                let (a, b) = (rng.below(n), rng.below(n));
                lines.swap(a, b);
            }
            3 | 4 if n > 0 => {
                let i = rng.below(n);
                if let Some(eq) = lines[i].find('=') {
                    let key = lines[i][..eq].to_string();
                    lines[i] = format!("{key}= {}", rng.pick(TOML_VALUES));
                } else {
                    lines.insert(i, rng.pick(TOML_LINES).to_string());
                }
            }
            _ => lines.insert(rng.below(n + 1), rng.pick(TOML_LINES).to_string()),
        }
    }
    let mut out = lines.join("\n").into_bytes();
    out.push(b'\n');
    out
}

const BYTE_TOKENS: &[&[u8]] = &[
    b"\"",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"null",
    b"-",
    b"1e999",
    b"\n",
    b"\r",
    b"\0",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xc3",
    b"=",
    b"[[",
    b"]]",
    b"'''",
    b"#",
];

/// Byte-level mutation: flips, interesting bytes, deletions, insertions, duplications,
/// tokens, and splices with another seed.
fn mutate_bytes(rng: &mut Rng, data: &mut Vec<u8>, donor: &[u8]) {
    let rounds = if rng.chance(4) { 16 } else { 3 };
    for _ in 0..1 + rng.below(rounds) {
        let len = data.len();
        match rng.below(9) {
            0 if len > 0 => {
                let i = rng.below(len);
                data[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                data[i] = *rng.pick(&[0u8, 0xff, 0x7f, 0x80, b'"', b'0', b'9', b' ', b'\n']);
            }
            2 if len > 0 => {
                let i = rng.below(len);
                let most = if rng.chance(8) { len } else { 16 };
                let n = 1 + rng.below((len - i).min(most));
                data.drain(i..i + n);
            }
            3 => {
                let i = rng.below(len + 1);
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                data.splice(i..i, bytes);
            }
            4 if len > 0 => {
                let i = rng.below(len);
                let n = 1 + rng.below((len - i).min(64));
                let chunk = data[i..i + n].to_vec();
                let most = if rng.chance(8) { 500 } else { 4 };
                let times = 1 + rng.below(most);
                let at = rng.below(len + 1);
                for _ in 0..times {
                    data.splice(at..at, chunk.iter().copied());
                }
            }
            5 | 6 => {
                let i = rng.below(len + 1);
                data.splice(i..i, rng.pick(BYTE_TOKENS).iter().copied());
            }
            7 if !donor.is_empty() => {
                let i = rng.below(len + 1);
                let j = rng.below(donor.len());
                data.truncate(i);
                data.extend_from_slice(&donor[j..]);
            }
            _ => data.truncate(rng.below(len + 1)),
        }
    }
    data.truncate(MAX_LEN);
}

// PNG: generated images of every kind, and chunk-level edits with the CRC kept right.

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Chunks as (type, data); `None` when the file does not start like a PNG.
fn png_chunks(data: &[u8]) -> Option<Vec<([u8; 4], Vec<u8>)>> {
    let mut rest = data.strip_prefix(PNG_SIGNATURE)?;
    let mut out = Vec::new();
    while rest.len() >= 12 {
        let len = u32::from_be_bytes(rest[..4].try_into().ok()?) as usize;
        if rest.len() < 12 + len {
            break;
        }
        let ty: [u8; 4] = rest[4..8].try_into().ok()?;
        out.push((ty, rest[8..8 + len].to_vec()));
        rest = &rest[12 + len..];
    }
    Some(out)
}

fn png_write(chunks: &[([u8; 4], Vec<u8>)]) -> Vec<u8> {
    let mut out = PNG_SIGNATURE.to_vec();
    for (ty, data) in chunks {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(ty);
        out.extend_from_slice(data);
        let crc = crc32(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    out
}

/// A small valid PNG of a random colour type, bit depth and interlacing.
fn generate_png(rng: &mut Rng) -> Vec<u8> {
    use png::{BitDepth, ColorType};
    let kinds: &[(ColorType, &[BitDepth], usize)] = &[
        (
            ColorType::Grayscale,
            &[
                BitDepth::One,
                BitDepth::Two,
                BitDepth::Four,
                BitDepth::Eight,
                BitDepth::Sixteen,
            ],
            1,
        ),
        (ColorType::Rgb, &[BitDepth::Eight, BitDepth::Sixteen], 3),
        (
            ColorType::Indexed,
            &[
                BitDepth::One,
                BitDepth::Two,
                BitDepth::Four,
                BitDepth::Eight,
            ],
            1,
        ),
        (
            ColorType::GrayscaleAlpha,
            &[BitDepth::Eight, BitDepth::Sixteen],
            2,
        ),
        (ColorType::Rgba, &[BitDepth::Eight, BitDepth::Sixteen], 4),
    ];
    let (color, depths, channels) = *rng.pick(kinds);
    let depth = *rng.pick(depths);
    let (w, h) = if rng.chance(8) {
        (1 + rng.below(3000) as u32, 1 + rng.below(2) as u32)
    } else {
        (1 + rng.below(40) as u32, 1 + rng.below(40) as u32)
    };
    let bits = channels * depth as usize;
    let row = (w as usize * bits).div_ceil(8);
    let pixels: Vec<u8> = (0..row * h as usize)
        .map(|i| {
            if rng.chance(3) {
                rng.next() as u8
            } else {
                (i / 7) as u8
            }
        })
        .collect();
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(color);
        enc.set_depth(depth);
        if color == ColorType::Indexed {
            let n = 1 + rng.below(256);
            enc.set_palette((0..n * 3).map(|_| rng.next() as u8).collect::<Vec<u8>>());
            if rng.chance(2) {
                enc.set_trns(
                    (0..rng.below(n + 1))
                        .map(|_| rng.next() as u8)
                        .collect::<Vec<u8>>(),
                );
            }
        }
        let Ok(mut writer) = enc.write_header() else {
            return out;
        };
        let _ = writer.write_image_data(&pixels);
    }
    if rng.chance(3) {
        // Interlaced: the same header with the flag set (the data no longer fits it).
        if let Some(mut chunks) = png_chunks(&out) {
            if let Some((_, ihdr)) = chunks.iter_mut().find(|(t, _)| t == b"IHDR") {
                if ihdr.len() == 13 {
                    ihdr[12] = 1;
                }
            }
            return png_write(&chunks);
        }
    }
    out
}

fn mutate_png(rng: &mut Rng, data: &[u8], donor: &[u8]) -> Vec<u8> {
    let Some(mut chunks) = png_chunks(data) else {
        let mut d = data.to_vec();
        mutate_bytes(rng, &mut d, donor);
        return d;
    };
    for _ in 0..1 + rng.below(3) {
        let n = chunks.len();
        match rng.below(8) {
            0 | 1 => {
                if let Some((_, ihdr)) = chunks.iter_mut().find(|(t, _)| t == b"IHDR") {
                    if ihdr.len() == 13 {
                        let dims: &[u32] = &[
                            0,
                            1,
                            2,
                            255,
                            4096,
                            16_384,
                            65_535,
                            100_000,
                            1 << 24,
                            0x7FFF_FFFF,
                            u32::MAX,
                        ];
                        match rng.below(5) {
                            0 => ihdr[0..4].copy_from_slice(&rng.pick(dims).to_be_bytes()),
                            1 => ihdr[4..8].copy_from_slice(&rng.pick(dims).to_be_bytes()),
                            2 => ihdr[8] = *rng.pick(&[0u8, 1, 2, 3, 4, 8, 16, 32]),
                            3 => ihdr[9] = *rng.pick(&[0u8, 1, 2, 3, 4, 5, 6, 7]),
                            _ => {
                                let i = 10 + rng.below(3);
                                ihdr[i] = rng.below(3) as u8;
                            }
                        }
                    }
                }
            }
            2 if n > 0 => {
                let i = rng.below(n);
                let d = &mut chunks[i].1;
                if !d.is_empty() {
                    let j = rng.below(d.len());
                    d[j] ^= 1 << rng.below(8);
                }
            }
            3 if n > 0 => {
                let i = rng.below(n);
                let cut = rng.below(chunks[i].1.len() + 1);
                chunks[i].1.truncate(cut);
            }
            4 if n > 0 => {
                let i = rng.below(n);
                let c = chunks[i].clone();
                chunks.insert(rng.below(n + 1), c);
            }
            5 if n > 0 => {
                chunks.remove(rng.below(n));
            }
            6 => {
                let kinds: &[&[u8; 4]] = &[
                    b"PLTE", b"tRNS", b"gAMA", b"sRGB", b"iCCP", b"acTL", b"fcTL", b"fdAT",
                    b"IEND", b"IDAT", b"tEXt", b"zTXt", b"iTXt", b"sBIT", b"cHRM", b"bKGD",
                ];
                let len = if rng.chance(2) {
                    rng.below(40)
                } else {
                    rng.below(1000)
                };
                let body: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                chunks.insert(rng.below(n + 1), (**rng.pick(kinds), body));
            }
            _ if n > 1 => {
                let (a, b) = (rng.below(n), rng.below(n));
                chunks.swap(a, b);
            }
            _ => {}
        }
    }
    let mut out = png_write(&chunks);
    if rng.chance(8) {
        mutate_bytes(rng, &mut out, donor);
    }
    out
}

/// One mutated input for `target`, from a parent seed and a donor seed.
fn mutate(rng: &mut Rng, target: &str, parent: &[u8], donor: &[u8]) -> Vec<u8> {
    let mut out = match target {
        "png" if rng.chance(3) => generate_png(rng),
        "png" => mutate_png(rng, parent, donor),
        "config" if rng.below(3) > 0 => mutate_toml(rng, parent),
        "config" => parent.to_vec(),
        _ if rng.below(3) > 0 => match mutate_json(rng, parent, donor) {
            Some(v) => v,
            None => parent.to_vec(),
        },
        _ => parent.to_vec(),
    };
    if target != "png" && (out == parent || rng.chance(4)) {
        mutate_bytes(rng, &mut out, donor);
    }
    out.truncate(MAX_LEN);
    out
}

// ---------------------------------------------------------------------------------------------
// The loop, a watchdog for hangs, and the summary.

#[derive(Default)]
struct Stats {
    execs: u64,
    seeds: usize,
    panics: Vec<(String, PathBuf)>,
    memory: Vec<(isize, PathBuf)>,
    slowest: Duration,
    peak: isize,
}

struct Progress {
    /// Nanoseconds since `epoch` when the current input started; 0 between inputs.
    started: AtomicU64,
    current: Mutex<Vec<u8>>,
    epoch: Instant,
}

fn save(target: &str, kind: &str, data: &[u8]) -> PathBuf {
    let hash = data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = findings_dir(target).join(format!("{kind}-{hash:016x}"));
    std::fs::write(&path, data).expect("save a fuzz finding");
    path
}

fn fuzz_loop(target: &str, seed: u64, progress: &Progress) -> Stats {
    install_panic_hook();
    let hard_cap_path = std::ffi::CString::new(
        findings_dir(target)
            .join("hard-cap")
            .to_string_lossy()
            .as_bytes(),
    )
    .expect("a findings path without NUL");
    DUMP_PATH.with(|p| p.set(hard_cap_path.as_ptr()));
    let seeds = load_seeds(target);
    let mut stats = Stats {
        seeds: seeds.len(),
        ..Stats::default()
    };
    let mut seen_panics = std::collections::BTreeSet::new();
    let mut rng = Rng(seed);
    let deadline = Instant::now() + budget();
    let max_execs = env_u64("REPRISE_FUZZ_EXECS").unwrap_or(u64::MAX);
    let parents: Vec<&[u8]> = seeds
        .iter()
        .map(|(_, b)| b.as_slice())
        .filter(|b| b.len() <= MAX_LEN)
        .collect();
    let mut i = 0usize;
    loop {
        // Every seed once, whole, then mutations until the budget is spent.
        let input: Vec<u8> = if i < seeds.len() {
            seeds[i].1.clone()
        } else {
            if Instant::now() >= deadline || stats.execs >= max_execs {
                break;
            }
            let parent = *rng.pick(&parents);
            let donor = *rng.pick(&parents);
            mutate(&mut rng, target, parent, donor)
        };
        i += 1;
        *progress.current.lock().unwrap_or_else(|e| e.into_inner()) = input.clone();
        let t0 = Instant::now();
        progress.started.store(
            (t0 - progress.epoch).as_nanos() as u64 + 1,
            Ordering::SeqCst,
        );
        let outcome = exec(target, &input);
        progress.started.store(0, Ordering::SeqCst);
        let took = t0.elapsed();
        stats.execs += 1;
        stats.slowest = stats.slowest.max(took);
        stats.peak = stats.peak.max(PEAK.with(Cell::get) - LIVE.with(Cell::get));
        match outcome {
            Outcome::Ok => {}
            Outcome::Panic(msg) => {
                let first = msg.lines().next().unwrap_or_default().to_string();
                if seen_panics.insert(first.clone()) {
                    let path = save(target, "panic", &input);
                    stats.panics.push((msg, path));
                }
            }
            Outcome::Memory(peak) => {
                if stats.memory.len() < 5 {
                    let path = save(target, "memory", &input);
                    stats.memory.push((peak, path));
                }
            }
        }
    }
    stats
}

/// Runs `target` on a worker thread and watches it: an input running past the hang bound is
/// saved and fails the test (the stuck thread is left behind; the process ends with the tests).
fn fuzz(target: &'static str) {
    let seed = env_u64("REPRISE_FUZZ_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let progress = Arc::new(Progress {
        started: AtomicU64::new(0),
        current: Mutex::new(Vec::new()),
        epoch: Instant::now(),
    });
    let worker = {
        let progress = Arc::clone(&progress);
        std::thread::Builder::new()
            .name(format!("fuzz-{target}"))
            .stack_size(64 << 20)
            .spawn(move || fuzz_loop(target, seed, &progress))
            .expect("spawn the fuzz worker")
    };
    let bound = hang_bound();
    while !worker.is_finished() {
        std::thread::sleep(Duration::from_millis(20));
        let started = progress.started.load(Ordering::SeqCst);
        if started == 0 {
            continue;
        }
        let running = progress
            .epoch
            .elapsed()
            .saturating_sub(Duration::from_nanos(started - 1));
        if running > bound {
            let input = progress
                .current
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            let path = save(target, "hang", &input);
            panic!(
                "fuzz {target} (REPRISE_FUZZ_SEED={seed}): an input ran for more than {bound:?} \
                 (a hang); saved to {}",
                path.display()
            );
        }
    }
    let stats = worker
        .join()
        .expect("the fuzz worker does not panic outside a target");
    let summary = format!(
        "fuzz {target}: {} execs ({} seeds) in {:?}, seed {seed}; {} panics, 0 hangs, {} over the memory bound; slowest input {:?}, peak {} KiB",
        stats.execs,
        stats.seeds,
        budget(),
        stats.panics.len(),
        stats.memory.len(),
        stats.slowest,
        stats.peak / 1024,
    );
    eprintln!("{summary}");
    if let Ok(path) = std::env::var("REPRISE_FUZZ_SUMMARY") {
        use std::io::Write as _;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{summary}");
        }
    }
    let mut problems = String::new();
    for (msg, path) in &stats.panics {
        problems.push_str(&format!("\n  panic: {msg}\n    input: {}", path.display()));
    }
    for (peak, path) in &stats.memory {
        problems.push_str(&format!(
            "\n  {} MiB live at the peak of one input\n    input: {}",
            peak >> 20,
            path.display()
        ));
    }
    assert!(
        problems.is_empty(),
        "fuzz {target} (REPRISE_FUZZ_SEED={seed}) found:{problems}\n(run one input with \
         REPRISE_FUZZ_INPUT=<path> cargo test --test fuzz replay -- --nocapture)"
    );
}

#[test]
fn fuzz_recording_parser() {
    fuzz("recording");
}

#[test]
fn fuzz_har_parser() {
    fuzz("har");
}

#[test]
fn fuzz_rrweb_importer() {
    fuzz("rrweb");
}

#[test]
fn fuzz_config() {
    fuzz("config");
}

#[test]
fn fuzz_png_decoding() {
    fuzz("png");
}

#[test]
fn fuzz_privacy_walker() {
    fuzz("privacy");
}

/// Every input a fuzzer once broke a target with, run again through that target: each is a
/// bug that was fixed, and must stay fixed (no panic, within the time and memory bounds).
#[test]
fn regressions_stay_fixed() {
    install_panic_hook();
    let mut ran = 0;
    for target in targets::TARGETS {
        let mut inputs = Vec::new();
        files(
            &repo().join("fuzz/regressions").join(target),
            &[],
            &mut inputs,
        );
        for path in inputs {
            let data = std::fs::read(&path).expect("read a regression input");
            let t0 = Instant::now();
            match exec(target, &data) {
                Outcome::Ok => {}
                Outcome::Panic(msg) => panic!("{}: {msg}", path.display()),
                Outcome::Memory(peak) => {
                    panic!("{}: {} MiB live at the peak", path.display(), peak >> 20)
                }
            }
            assert!(
                t0.elapsed() < hang_bound(),
                "{}: took {:?}",
                path.display(),
                t0.elapsed()
            );
            ran += 1;
        }
    }
    assert!(ran > 0, "no regression inputs under fuzz/regressions");
}

/// Found by fuzzing: the fast PNG path sized its buffer from the header alone, so a 390-byte
/// file claiming 65535×2³¹ pixels aborted the whole process. It is an error now.
#[test]
fn a_png_header_cannot_size_a_huge_buffer() {
    for name in [
        "header-sized-buffer-65535x2147483647.png",
        "header-sized-buffer-rgba-2147483647-square.png",
    ] {
        let bytes = std::fs::read(repo().join("fuzz/regressions/png").join(name)).expect("read");
        FUZZING.with(|f| f.set(true));
        let decoded = reprise::compare::png::decode_png(&bytes);
        FUZZING.with(|f| f.set(false));
        let e = decoded.expect_err("a PNG too large to decode");
        assert!(e.to_string().contains("limit"), "{name}: {e}");
    }
}

/// Found by fuzzing: png 0.18 panics on a `PLTE` chunk that is not whole RGB entries; such a
/// file is a decoding error now, not a crash of `run` or `diff-images`.
#[test]
fn a_png_with_a_broken_palette_is_an_error() {
    for name in ["palette-7-bytes.png", "palette-11-bytes.png"] {
        let bytes = std::fs::read(repo().join("fuzz/regressions/png").join(name)).expect("read");
        let decoded = std::panic::catch_unwind(|| reprise::compare::png::decode_png(&bytes))
            .unwrap_or_else(|_| panic!("{name}: decoding panicked"));
        let e = decoded.expect_err("a broken palette");
        assert!(e.to_string().contains("PLTE"), "{name}: {e}");
    }
}

/// Runs one saved input (`REPRISE_FUZZ_INPUT`, with `REPRISE_FUZZ_TARGET` or the target named
/// by its folder) with the panic shown, to debug a finding. Without the variable it checks that
/// the mutators produce inputs of the right kind.
#[test]
fn replay() {
    let Ok(path) = std::env::var("REPRISE_FUZZ_INPUT") else {
        let mut rng = Rng(7);
        let png = generate_png(&mut rng);
        assert!(png.starts_with(PNG_SIGNATURE));
        let chunks = png_chunks(&png).expect("a generated PNG has chunks");
        assert_eq!(
            png_write(&chunks),
            png,
            "chunks written back are the same file"
        );
        let toml = mutate_toml(&mut rng, b"[compare]\nthreshold = 0.1\n");
        assert!(!toml.is_empty());
        return;
    };
    let path = PathBuf::from(path);
    let target = std::env::var("REPRISE_FUZZ_TARGET").unwrap_or_else(|_| {
        path.parent()
            .and_then(Path::file_name)
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    let data = std::fs::read(&path).expect("read REPRISE_FUZZ_INPUT");
    let t0 = Instant::now();
    targets::run(&target, &data);
    eprintln!("{target}: {} bytes ran in {:?}", data.len(), t0.elapsed());
}
