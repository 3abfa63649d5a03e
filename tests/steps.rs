//! End-to-end tests of step semantics: every Recorder step type and field, replayed by the
//! real `reprise` binary in the real Chromium (chromedriver), on pages served on 127.0.0.1.
//!
//! One suite, one run, many sessions: each session acts and then checks the effect with a
//! `waitForExpression` or `waitForElement` step of its own, so an action that did not happen
//! breaks its session (a short flow timeout keeps that quick). Sessions that must break say
//! where and why. The docs' table (docs/recording-format.md, "How steps are replayed") is
//! what these tests pin.

use crate::support;

use serde_json::{json, Value};
use support::TestSuite;

const APP: &str = "https://app.reprise.test";

fn step(kind: &str, fields: Value) -> Value {
    let mut v = fields;
    v["type"] = json!(kind);
    v
}

fn nav(path: &str) -> Value {
    step("navigate", json!({ "url": format!("{APP}{path}") }))
}

fn click(selectors: Value, x: f64, y: f64) -> Value {
    step(
        "click",
        json!({ "selectors": selectors, "offsetX": x, "offsetY": y }),
    )
}

fn expect(expression: &str) -> Value {
    step("waitForExpression", json!({ "expression": expression }))
}

fn viewport(w: u32, h: u32) -> Value {
    step(
        "setViewport",
        json!({ "width": w, "height": h, "deviceScaleFactor": 1, "isMobile": false, "hasTouch": false, "isLandscape": false }),
    )
}

fn recording(title: &str, steps: Vec<Value>) -> String {
    json!({ "title": title, "timeout": 3000, "steps": steps }).to_string()
}

fn har(entries: &[(&str, &str, &str)]) -> String {
    let entries: Vec<Value> = entries
        .iter()
        .map(|(url, mime, text)| {
            json!({ "request": { "method": "GET", "url": url, "headers": [] },
                    "response": { "status": 200, "headers": [ { "name": "content-type", "value": mime } ],
                                  "content": { "mimeType": mime, "text": text } } })
        })
        .collect();
    json!({ "log": { "version": "1.2", "creator": { "name": "test", "version": "1" }, "entries": entries } })
        .to_string()
}

const POINTER_HTML: &str = r#"<!doctype html><html><head><title>pointer</title><style>
body { margin: 0; font: 16px sans-serif; }
.abs { position: absolute; margin: 0; padding: 0; border: 0; }
.cb input { position: absolute; left: 0; top: 0; width: 120px; height: 30px; margin: 0; opacity: 0; }
.cb .box { position: absolute; left: 0; top: 0; width: 120px; height: 30px; background: #cde; }
#submenu { display: none; }
</style></head><body>
<label class="cb abs" style="left: 10px; top: 10px; width: 120px; height: 30px;"><input type="checkbox" id="agree"><span class="box">Agree</span></label>
<button id="dbl" class="abs" style="left: 150px; top: 10px; width: 80px; height: 30px;">Double</button>
<button id="ctx" class="abs" style="left: 240px; top: 10px; width: 80px; height: 30px;">Context</button>
<button id="aux" class="abs" style="left: 330px; top: 10px; width: 80px; height: 30px;">Middle</button>
<div id="grid" class="abs" style="left: 10px; top: 60px; width: 200px; height: 100px; background: #eee;"></div>
<div id="small" class="abs" style="left: 230px; top: 60px; width: 40px; height: 20px; background: #ccc;"></div>
<div id="menu" class="abs" style="left: 300px; top: 60px; width: 100px; height: 30px; background: #ddd;">Menu
  <div id="submenu"><button id="sub-item">Item</button></div></div>
<button id="late" class="abs" style="left: 10px; top: 180px; width: 80px; height: 30px;" disabled>Late</button>
<div id="ariad" class="abs" role="button" aria-disabled="true" tabindex="0" style="left: 100px; top: 180px; width: 80px; height: 30px;">Soft</div>
<x-outer class="abs" style="left: 200px; top: 180px;"></x-outer>
<p class="abs" style="left: 10px; top: 230px;"><span id="txt">Press the text target</span></p>
<button class="abs" data-x="1" style="left: 250px; top: 230px;">XPath target</button>
<button class="abs" aria-label="Aria target" style="left: 400px; top: 230px;">A</button>
<button id="first-choice" class="abs" style="left: 10px; top: 280px;">First</button>
<button id="second-choice" class="abs" style="left: 100px; top: 280px;">Second</button>
<button id="hidden-btn" class="abs" style="left: 200px; top: 280px; visibility: hidden;">Hidden</button>
<div id="box" class="abs" style="left: 10px; top: 330px; width: 200px; height: 100px; overflow: auto;"><div style="height: 600px;">tall</div></div>
<div style="height: 2400px;"></div>
<script>
window.log = [];
const on = (id, ev, f) => document.getElementById(id).addEventListener(ev, f);
const off = (e) => Math.round(e.offsetX) + ',' + Math.round(e.offsetY);
on('dbl', 'dblclick', () => log.push('dblclick'));
on('ctx', 'contextmenu', (e) => { e.preventDefault(); log.push('contextmenu:' + e.button); });
on('aux', 'mousedown', (e) => { if (e.button === 1) e.preventDefault(); });
on('aux', 'auxclick', (e) => log.push('auxclick:' + e.button));
on('grid', 'click', (e) => log.push('grid:' + off(e)));
on('small', 'click', (e) => log.push('small:' + off(e)));
on('menu', 'mouseenter', () => { document.getElementById('submenu').style.display = 'block'; });
on('sub-item', 'click', () => log.push('submenu'));
on('late', 'click', () => log.push('late'));
on('ariad', 'click', () => log.push('ariad'));
on('txt', 'click', () => log.push('text'));
on('first-choice', 'click', () => log.push('first'));
on('second-choice', 'click', () => log.push('second'));
on('hidden-btn', 'click', () => log.push('hidden'));
document.querySelector('[data-x]').addEventListener('click', () => log.push('xpath'));
document.querySelector('[aria-label="Aria target"]').addEventListener('click', () => log.push('aria'));
setTimeout(() => { document.getElementById('late').disabled = false; }, 300);
class Inner extends HTMLElement { connectedCallback() { const r = this.attachShadow({ mode: 'open' });
  r.innerHTML = '<button id="deep">Deep</button>'; r.getElementById('deep').addEventListener('click', () => log.push('deep')); } }
class Outer extends HTMLElement { connectedCallback() { this.attachShadow({ mode: 'open' }).innerHTML = '<x-inner></x-inner>'; } }
customElements.define('x-inner', Inner);
customElements.define('x-outer', Outer);
</script></body></html>"#;

fn pointer_session() -> String {
    let has = |entry: &str| expect(&format!("window.log.includes('{entry}')"));
    recording(
        "pointer",
        vec![
            viewport(800, 600),
            nav("/pointer.html"),
            // An opacity-0 checkbox under its styled label: clicked at its point, through the label.
            click(json!([["#agree"]]), 10.0, 10.0),
            expect("document.getElementById('agree').checked === true"),
            step(
                "doubleClick",
                json!({ "selectors": [["#dbl"]], "offsetX": 5, "offsetY": 5 }),
            ),
            has("dblclick"),
            step(
                "click",
                json!({ "selectors": [["#ctx"]], "offsetX": 5, "offsetY": 5, "button": "secondary" }),
            ),
            has("contextmenu:2"),
            step(
                "click",
                json!({ "selectors": [["#aux"]], "offsetX": 5, "offsetY": 5, "button": "auxiliary" }),
            ),
            has("auxclick:1"),
            // The recorded offset is from the element's top-left.
            click(json!([["#grid"]]), 150.0, 20.0),
            has("grid:150,20"),
            // Deliberate difference: an offset outside the element's box clicks its centre.
            click(json!([["#small"]]), 300.0, 5.0),
            has("small:20,10"),
            step("hover", json!({ "selectors": [["#menu"]] })),
            step("waitForElement", json!({ "selectors": [["#submenu"]] })),
            click(json!([["#sub-item"]]), 2.0, 2.0),
            has("submenu"),
            // Disabled now, enabled by a timer: the click waits for it.
            click(json!([["#late"]]), 5.0, 5.0),
            has("late"),
            // aria-disabled does not stop Puppeteer's locators, nor reprise.
            click(json!([["#ariad"]]), 5.0, 5.0),
            has("ariad"),
            click(json!([["#no-such"], ["pierce/#deep"]]), 2.0, 2.0),
            has("deep"),
            click(json!([["x-outer", "x-inner", "#deep"]]), 2.0, 2.0),
            expect("window.log.filter((e) => e === 'deep').length === 2"),
            click(
                json!([["#missing"], ["text/Press the text target"]]),
                2.0,
                2.0,
            ),
            has("text"),
            click(json!([["xpath///button[@data-x=\"1\"]"]]), 2.0, 2.0),
            has("xpath"),
            click(json!([["aria/Aria target[role=\"button\"]"]]), 2.0, 2.0),
            has("aria"),
            // Alternatives in the Recorder's order: the first that matches is used.
            click(json!([["#first-choice"], ["#second-choice"]]), 2.0, 2.0),
            expect("window.log.includes('first') && !window.log.includes('second')"),
            step(
                "scroll",
                json!({ "selectors": [["#box"]], "x": 0, "y": 120 }),
            ),
            expect("document.getElementById('box').scrollTop === 120"),
            step("scroll", json!({ "x": 0, "y": 300 })),
            expect("Math.round(window.scrollY) === 300"),
        ],
    )
}

const KEYS_HTML: &str = r#"<!doctype html><html><head><title>keys</title></head><body>
<input id="t"> <input id="second"> <div id="pad" tabindex="0">pad</div>
<textarea id="ta">abc</textarea> <div id="ce" contenteditable="true">old text</div>
<select id="sel"><option value="a">A</option><option value="b">B</option></select>
<input type="date" id="date"> <input type="range" id="range" min="0" max="10" value="1"> <input type="color" id="color">
<pre id="out"></pre>
<script>
window.keys = []; window.changes = [];
const pad = document.getElementById('pad');
pad.addEventListener('keydown', (e) => {
  keys.push(e.key + '/' + e.code + (e.shiftKey ? '+S' : '') + (e.ctrlKey ? '+C' : ''));
  document.getElementById('out').textContent = keys.join(' ');
  e.preventDefault();
});
for (const id of ['sel', 'date', 'range', 'color', 'ce', 'ta']) {
  for (const type of ['input', 'change']) document.getElementById(id).addEventListener(type, () => changes.push(id + ':' + type));
}
</script></body></html>"#;

/// Keys pressed on a focused element, and the `key/code` each must arrive with.
const KEYS: &[(&str, &str)] = &[
    ("Enter", "Enter/Enter"),
    ("Escape", "Escape/Escape"),
    ("Tab", "Tab/Tab"),
    ("Backspace", "Backspace/Backspace"),
    ("Delete", "Delete/Delete"),
    ("Insert", "Insert/Insert"),
    ("Home", "Home/Home"),
    ("End", "End/End"),
    ("PageUp", "PageUp/PageUp"),
    ("PageDown", "PageDown/PageDown"),
    ("ArrowUp", "ArrowUp/ArrowUp"),
    ("ArrowDown", "ArrowDown/ArrowDown"),
    ("ArrowLeft", "ArrowLeft/ArrowLeft"),
    ("ArrowRight", "ArrowRight/ArrowRight"),
    ("F1", "F1/F1"),
    ("F13", "F13/F13"),
    ("CapsLock", "CapsLock/CapsLock"),
    ("ContextMenu", "ContextMenu/ContextMenu"),
    (" ", " /Space"),
    ("KeyQ", "q/KeyQ"),
    ("Digit5", "5/Digit5"),
    ("Numpad3", "3/Numpad3"),
    ("NumpadAdd", "+/NumpadAdd"),
    ("/", "//Slash"),
    ("?", "?/Slash"),
    ("é", "é/"),
];

fn keys_session() -> String {
    let mut steps = vec![
        viewport(800, 600),
        nav("/keys.html"),
        click(json!([["#t"]]), 5.0, 5.0),
        step("change", json!({ "selectors": [["#t"]], "value": "hello" })),
        expect("document.getElementById('t').value === 'hello'"),
    ];
    // Control+A selects what the field holds; typing replaces it.
    for (k, down) in [
        ("Control", true),
        ("a", true),
        ("a", false),
        ("Control", false),
        ("x", true),
        ("x", false),
    ] {
        steps.push(step(
            if down { "keyDown" } else { "keyUp" },
            json!({ "key": k }),
        ));
    }
    steps.push(expect("document.getElementById('t').value === 'x'"));
    // Shift+Tab moves the focus back.
    steps.push(click(json!([["#second"]]), 5.0, 5.0));
    for (k, down) in [
        ("Shift", true),
        ("Tab", true),
        ("Tab", false),
        ("Shift", false),
    ] {
        steps.push(step(
            if down { "keyDown" } else { "keyUp" },
            json!({ "key": k }),
        ));
    }
    steps.push(expect("document.activeElement.id === 't'"));
    steps.push(click(json!([["#pad"]]), 5.0, 5.0));
    let mut expected: Vec<String> = Vec::new();
    for (k, seen) in KEYS {
        steps.push(step("keyDown", json!({ "key": k })));
        steps.push(step("keyUp", json!({ "key": k })));
        expected.push((*seen).to_string());
    }
    // A modifier held over later keys: Shift, then `A` and `Control`.
    for k in ["Shift", "A", "Control"] {
        steps.push(step("keyDown", json!({ "key": k })));
    }
    for k in ["Control", "A", "Shift"] {
        steps.push(step("keyUp", json!({ "key": k })));
    }
    expected.extend(["Shift/ShiftLeft+S", "A/KeyA+S", "Control/ControlLeft+S+C"].map(String::from));
    steps.push(expect(&format!(
        "window.keys.join(' ') === {}",
        json!(expected.join(" "))
    )));
    steps.extend([
        step("change", json!({ "selectors": [["#ta"]], "value": "abcdef" })),
        expect("document.getElementById('ta').value === 'abcdef' && changes.includes('ta:input')"),
        step("change", json!({ "selectors": [["#ce"]], "value": "Hello world" })),
        expect("document.getElementById('ce').innerText === 'Hello world' && changes.includes('ce:input')"),
        step("change", json!({ "selectors": [["#sel"]], "value": "b" })),
        expect("document.getElementById('sel').value === 'b' && changes.includes('sel:change')"),
        step("change", json!({ "selectors": [["#date"]], "value": "2024-05-06" })),
        expect("document.getElementById('date').value === '2024-05-06' && changes.includes('date:input') && changes.includes('date:change')"),
        step("change", json!({ "selectors": [["#range"]], "value": "7" })),
        expect("document.getElementById('range').value === '7' && changes.includes('range:change')"),
        step("change", json!({ "selectors": [["#color"]], "value": "#ff0000" })),
        expect("document.getElementById('color').value === '#ff0000' && changes.includes('color:change')"),
    ]);
    recording("keys", steps)
}

const FRAMES_HTML: &str = r#"<!doctype html><html><head><title>frames</title><style>body { margin: 0; } iframe { position: absolute; }</style></head><body>
<iframe id="fa" src="/frame-a.html" style="left: 50px; top: 40px; width: 300px; height: 220px; border: 5px solid #000;"></iframe>
<iframe id="fb" src="https://other.reprise.test/frame-b.html" style="left: 400px; top: 60px; width: 300px; height: 200px; border: 0; padding: 7px;"></iframe>
</body></html>"#;

const FRAME_A_HTML: &str = r#"<!doctype html><html><body style="margin: 0;">
<button id="a-btn" style="position: absolute; left: 20px; top: 30px; width: 100px; height: 40px; margin: 0; border: 0;">A</button>
<iframe src="/frame-nested.html" style="position: absolute; left: 0; top: 100px; width: 200px; height: 80px; border: 0;"></iframe>
<script>window.clicked = []; document.getElementById('a-btn').addEventListener('click', (e) => clicked.push(Math.round(e.offsetX) + ',' + Math.round(e.offsetY)));</script>
</body></html>"#;

const FRAME_NESTED_HTML: &str = r#"<!doctype html><html><body style="margin: 0;">
<button id="n-btn" style="position: absolute; left: 10px; top: 10px; width: 80px; height: 30px;">N</button>
<script>document.getElementById('n-btn').addEventListener('click', () => { window.hit = true; });</script>
</body></html>"#;

const FRAME_B_HTML: &str = r#"<!doctype html><html><body style="margin: 0;">
<button id="b-btn" style="position: absolute; left: 10px; top: 10px; width: 120px; height: 40px; margin: 0; border: 0;">B</button>
<input id="b-in" style="position: absolute; left: 10px; top: 80px;">
<script>document.getElementById('b-btn').addEventListener('click', (e) => { window.hit = Math.round(e.offsetX) + ',' + Math.round(e.offsetY); });</script>
</body></html>"#;

fn in_frame(mut step: Value, frame: &[u32]) -> Value {
    step["frame"] = json!(frame);
    step
}

fn frames_session() -> String {
    recording(
        "frames",
        vec![
            viewport(800, 600),
            nav("/frames.html"),
            in_frame(click(json!([["#a-btn"]]), 30.0, 15.0), &[0]),
            in_frame(expect("window.clicked.includes('30,15')"), &[0]),
            in_frame(click(json!([["#n-btn"]]), 5.0, 5.0), &[0, 0]),
            in_frame(expect("window.hit === true"), &[0, 0]),
            // Cross-origin: an out-of-process frame.
            in_frame(click(json!([["#b-btn"]]), 40.0, 20.0), &[1]),
            in_frame(expect("window.hit === '40,20'"), &[1]),
            in_frame(
                step(
                    "change",
                    json!({ "selectors": [["#b-in"]], "value": "cross" }),
                ),
                &[1],
            ),
            in_frame(
                expect("document.getElementById('b-in').value === 'cross'"),
                &[1],
            ),
            in_frame(
                step(
                    "waitForElement",
                    json!({ "selectors": [["#b-in"]], "operator": "==", "count": 1 }),
                ),
                &[1],
            ),
        ],
    )
}

const POPUP_HTML: &str = r#"<!doctype html><html><head><title>popup</title></head><body>
<button id="open" onclick="window.w = window.open('/child.html', 'child', 'width=400,height=300')">Open</button>
<a id="tab" href="https://other.reprise.test/tab.html" target="_blank">New tab</a>
</body></html>"#;

const CHILD_HTML: &str = r#"<!doctype html><html><head><title>child</title></head><body>
<p id="data">loading</p><button id="hello">Hello</button>
<script>
fetch('https://api.reprise.test/popup-data').then((r) => r.json()).then((d) => { document.getElementById('data').textContent = d.value; });
document.getElementById('hello').addEventListener('click', () => { window.opener.fromPopup = 'hi'; });
</script></body></html>"#;

const TAB_HTML: &str = r#"<!doctype html><html><head><title>tab</title></head><body><h1 id="tab-h">Tab page</h1>
<script>fetch('https://api.reprise.test/tab-data').then((r) => r.text()).then((t) => { document.getElementById('tab-h').textContent = t; });</script>
</body></html>"#;

fn on_target(mut step: Value, target: &str) -> Value {
    step["target"] = json!(target);
    step
}

fn popup_session() -> String {
    let child = format!("{APP}/child.html");
    let tab = "https://other.reprise.test/tab.html";
    recording(
        "popup",
        vec![
            viewport(800, 600),
            nav("/popup.html"),
            click(json!([["#open"]]), 5.0, 5.0),
            // The popup's own request was intercepted from its first one: the HAR answered it.
            on_target(
                step(
                    "waitForElement",
                    json!({ "selectors": [["text/mocked popup data"]] }),
                ),
                &child,
            ),
            on_target(click(json!([["#hello"]]), 5.0, 5.0), &child),
            expect("window.fromPopup === 'hi'"),
            on_target(step("close", json!({})), &child),
            expect("window.w.closed === true"),
            click(json!([["#tab"]]), 5.0, 5.0),
            on_target(
                step(
                    "waitForElement",
                    json!({ "selectors": [["text/mocked tab data"]] }),
                ),
                tab,
            ),
            on_target(step("close", json!({})), tab),
        ],
    )
}

const DEVICE_HTML: &str = r#"<!doctype html><html><head><title>device</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head><body style="margin: 0;">
<button id="tap" style="position: absolute; left: 20px; top: 20px; width: 120px; height: 40px;">Tap</button>
<ul><li class="it" data-k="v">1</li><li class="it" data-k="v">2</li><li class="it" data-k="v">3</li></ul>
<div id="spinner">loading</div>
<script>
window.pointerTypes = [];
const tap = document.getElementById('tap');
tap.addEventListener('pointerdown', (e) => pointerTypes.push(e.pointerType));
tap.addEventListener('click', () => pointerTypes.push('click'));
setTimeout(() => document.getElementById('spinner').remove(), 400);
</script></body></html>"#;

fn device_session() -> String {
    let wait = |fields: Value| step("waitForElement", fields);
    recording(
        "device",
        vec![
            step(
                "setViewport",
                json!({ "width": 390, "height": 700, "deviceScaleFactor": 3, "isMobile": true, "hasTouch": true, "isLandscape": false }),
            ),
            nav("/device.html"),
            expect("window.innerWidth === 390 && window.devicePixelRatio === 3 && navigator.maxTouchPoints > 0 && 'ontouchstart' in window"),
            step("click", json!({ "selectors": [["#tap"]], "offsetX": 10, "offsetY": 10, "deviceType": "touch" })),
            expect("window.pointerTypes.join(',') === 'touch,click'"),
            step("emulateNetworkConditions", json!({ "download": 50000, "upload": 20000, "latency": 400 })),
            // The page sees the emulated latency (Chromium reports it rounded, with up to 10% noise,
                // and a moment later).
            {
                let mut e = expect("navigator.connection.rtt >= 300");
                e["timeout"] = json!(10000);
                e
            },
            wait(json!({ "selectors": [[".it"]], "operator": "==", "count": 3 })),
            wait(json!({ "selectors": [[".it"]], "operator": "<=", "count": 3 })),
            wait(json!({ "selectors": [[".it"]], "count": 2 })),
            wait(json!({ "selectors": [["#nothing"], [".it"]], "operator": "==", "count": 3 })),
            wait(json!({ "selectors": [[".it"]], "attributes": { "data-k": "v" } })),
            wait(json!({ "selectors": [[".it"]], "properties": { "className": "it", "dataset": { "k": "v" } } })),
            // `visible: false` inverts the step: it waits for the spinner to be gone.
            wait(json!({ "selectors": [["#spinner"]], "visible": false })),
            step("close", json!({})),
        ],
    )
}

const COFFEE_HTML: &str = r#"<!doctype html><html><head><title>Coffee cart</title><style>
body { margin: 0; font: 16px sans-serif; } .pay-container { display: none; }
</style></head><body><div id="app">
<div><div data-test="Espresso" aria-label="Espresso" role="button" style="width: 300px; height: 300px; background: #a87;">Espresso $10.00</div></div>
<div><button data-test="checkout" aria-label="Proceed to checkout" style="width: 200px; height: 40px;">Total: $0.00</button></div>
<div><div class="pay-container"><ul></ul></div></div>
</div><script>
let count = 0;
const checkout = document.querySelector('[data-test=checkout]');
const list = document.querySelector('.pay-container ul');
const render = () => {
  checkout.textContent = 'Total: $' + (count * 10).toFixed(2);
  list.innerHTML = count ? '<li class="list-item"><span>Espresso x ' + count + '</span><div class="unit-controller"><button aria-label="Add one Espresso">+</button></div></li>' : '';
  const add = list.querySelector('button');
  if (add) add.addEventListener('click', () => { count += 1; render(); });
};
document.querySelector('[data-test=Espresso]').addEventListener('click', () => { count += 1; render(); });
checkout.addEventListener('mouseenter', () => { document.querySelector('.pay-container').style.display = 'block'; });
</script></body></html>"#;

fn fixture(name: &str) -> String {
    let path = support::repo_root()
        .join("tests/fixtures/chrome-recorder")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lighthouse flow's desktop recording, with the asserted title (or URL) of the link's
/// navigation changed: the step must break.
fn lighthouse_with_wrong(field: &str, value: &str) -> String {
    let mut rec: Value =
        serde_json::from_str(&fixture("lighthouse-desktop-test-flow.json")).expect("json");
    let steps = rec["steps"].as_array_mut().expect("steps");
    let link = steps
        .iter_mut()
        .find(|s| s["selectors"].to_string().contains("#link"))
        .expect("the link's click");
    link["assertedEvents"][0][field] = json!(value);
    rec.to_string()
}

#[test]
fn every_recorder_step_type_and_field_replays_in_one_run() {
    let flow = support::repo_root().join("tests/fixtures/chrome-recorder/lighthouse-flow-site");
    let read = |n: &str| std::fs::read_to_string(flow.join(n)).expect("lighthouse page");
    let mut hidden = serde_json::from_str::<Value>(&recording(
        "hidden",
        vec![
            viewport(800, 600),
            nav("/pointer.html"),
            click(json!([["#hidden-btn"]]), 2.0, 2.0),
        ],
    ))
    .expect("json");
    hidden["timeout"] = json!(600);
    let mut wrong_wait = serde_json::from_str::<Value>(&recording(
        "wrong-wait",
        vec![
            viewport(800, 600),
            nav("/device.html"),
            step(
                "waitForElement",
                json!({ "selectors": [[".it"]], "attributes": { "data-k": "other" } }),
            ),
        ],
    ))
    .expect("json");
    wrong_wait["timeout"] = json!(600);
    let suite = TestSuite::empty()
        .env("CI", "")
        .file("reprise.toml", "[app]\ndir = \"app\"\n")
        .file("app/pointer.html", POINTER_HTML)
        .file("app/keys.html", KEYS_HTML)
        .file("app/frames.html", FRAMES_HTML)
        .file("app/frame-a.html", FRAME_A_HTML)
        .file("app/frame-nested.html", FRAME_NESTED_HTML)
        .file("app/popup.html", POPUP_HTML)
        .file("app/child.html", CHILD_HTML)
        .file("app/device.html", DEVICE_HTML)
        .file("app/index.html", COFFEE_HTML)
        .file("app/flow/index.html", &read("index.html"))
        .file("app/flow/next.html", &read("next.html"))
        .file("recordings/pointer.json", &pointer_session())
        .file("recordings/keys.json", &keys_session())
        .file("recordings/frames.json", &frames_session())
        .file(
            "mocks/frames.har",
            &har(&[(
                "https://other.reprise.test/frame-b.html",
                "text/html",
                FRAME_B_HTML,
            )]),
        )
        .file("recordings/popup.json", &popup_session())
        .file(
            "mocks/popup.har",
            &har(&[
                (
                    "https://api.reprise.test/popup-data",
                    "application/json",
                    r#"{"value":"mocked popup data"}"#,
                ),
                ("https://other.reprise.test/tab.html", "text/html", TAB_HTML),
                (
                    "https://api.reprise.test/tab-data",
                    "text/plain",
                    "mocked tab data",
                ),
                // A new tab asks for its site's icon, as it did when recorded.
                (
                    "https://other.reprise.test/favicon.ico",
                    "text/plain",
                    "icon",
                ),
            ]),
        )
        .file("recordings/device.json", &device_session())
        .file(
            "recordings/lighthouse-desktop.json",
            &fixture("lighthouse-desktop-test-flow.json"),
        )
        .file(
            "recordings/lighthouse-mobile.json",
            &fixture("lighthouse-mobile-test-flow.json"),
        )
        .file(
            "recordings/hover-coffee.json",
            &fixture("jecfish-hover-add-a-coffee.json"),
        )
        .file(
            "recordings/asserted-title.json",
            &lighthouse_with_wrong("title", "Wrong title"),
        )
        .file(
            "recordings/asserted-url.json",
            &lighthouse_with_wrong("url", "http://localhost:10200/flow/elsewhere.html"),
        )
        .file("recordings/hidden.json", &hidden.to_string())
        .file("recordings/wrong-wait.json", &wrong_wait.to_string());
    let o = suite.run(&["run", "--update-snapshots"]);
    let why = |id: &str| format!("{id}: {}\n{}\n{}", o.session(id), o.stdout, o.stderr);
    for id in [
        "pointer",
        "keys",
        "frames",
        "popup",
        "device",
        "lighthouse-desktop",
        "lighthouse-mobile",
        "hover-coffee",
    ] {
        // Every step performed; its checkpoints are new (this run wrote the baselines).
        assert_eq!(o.status(id), "new", "{}", why(id));
        let s = o.session(id);
        assert_eq!(s["steps_completed"], s["steps_total"], "{}", why(id));
        assert_eq!(s["network"]["unmatched"], json!([]), "{}", why(id));
        assert_eq!(s["network"]["escaped"], json!([]), "{}", why(id));
    }
    // The popup's and the new tab's requests were answered from the HAR (the tab's icon
    // too, when the browser asks for it).
    let served = o.session("popup")["network"]["served"].as_u64();
    assert!(served.is_some_and(|n| n >= 3), "{}", why("popup"));

    let broken = |id: &str, step: usize, words: &[&str]| {
        assert_eq!(o.status(id), "broken", "{}", why(id));
        let s = o.session(id);
        assert_eq!(s["broken_step"]["step"], step, "{}", why(id));
        let error = s["error"].as_str().unwrap_or_default();
        for w in words {
            assert!(error.contains(w), "{id}: `{w}` in {error}");
        }
    };
    broken("asserted-title", 6, &["Wrong title"]);
    broken("asserted-url", 6, &["elsewhere.html", "next.html"]);
    broken("hidden", 3, &["not visible"]);
    broken("wrong-wait", 3, &["attributes", "found 3"]);
    assert_eq!(o.code, 1, "the broken sessions fail the run: {}", o.stdout);
}

/// A preview server on loopback that redirects as `vite preview` and static servers do: to an
/// absolute URL of itself, to a relative path, and with 307 for a script.
fn redirecting_server() -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut s = stream;
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, extra, body): (&str, String, &str) = match path.as_str() {
                "/" => (
                    "302 Found",
                    format!("location: http://127.0.0.1:{port}/index.html\r\n"),
                    "",
                ),
                "/index.html" => ("301 Moved Permanently", "location: /home/\r\n".into(), ""),
                "/home/" => (
                    "200 OK",
                    "content-type: text/html\r\n".into(),
                    r#"<!doctype html><title>home</title><p id="where">home</p><script src="/app.js"></script>"#,
                ),
                "/app.js" => (
                    "307 Temporary Redirect",
                    "location: /assets/app.js\r\n".into(),
                    "",
                ),
                "/assets/app.js" => (
                    "200 OK",
                    "content-type: text/javascript\r\n".into(),
                    "document.getElementById('where').textContent = 'home with script';",
                ),
                "/loop" => ("302 Found", "location: /loop\r\n".into(), ""),
                _ => ("404 Not Found", String::new(), "not found"),
            };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
}

#[test]
fn app_url_follows_the_preview_servers_redirects() {
    let port = redirecting_server();
    let rec = |path: &str, check: Value| {
        json!({ "title": "redirects", "timeout": 2000, "steps": [
            step("navigate", json!({ "url": format!("{APP}{path}") })),
            check,
        ] })
        .to_string()
    };
    let suite = TestSuite::empty()
        .env("CI", "")
        .file(
            "recordings/redirects.json",
            &rec(
                "/",
                step(
                    "waitForElement",
                    json!({ "selectors": [["text/home with script"]] }),
                ),
            ),
        )
        .file(
            "recordings/loop.json",
            &rec(
                "/loop",
                step(
                    "waitForElement",
                    json!({ "selectors": [["text/more than 10"]] }),
                ),
            ),
        );
    let url = format!("http://127.0.0.1:{port}");
    let o = suite.run(&["run", "--app-url", &url, "--update-snapshots"]);
    let why = |id: &str| format!("{}\n{}\n{}", o.session(id), o.stdout, o.stderr);
    assert_eq!(o.status("redirects"), "new", "{}", why("redirects"));
    let s = o.session("redirects");
    assert_eq!(s["network"]["unmatched"], json!([]), "{}", why("redirects"));
    // The page stayed on the recorded origin, at the URL it asked for.
    assert_eq!(
        s["checkpoints"][0]["url"],
        format!("{APP}/"),
        "{}",
        why("redirects")
    );
    // A redirect loop ends with reprise's own answer, not a hung page.
    assert_eq!(o.status("loop"), "new", "{}", why("loop"));
}
