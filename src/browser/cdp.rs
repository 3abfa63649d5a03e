//! A minimal Chrome DevTools Protocol client over the browser's websocket.
//!
//! reprise needs CDP for what classic WebDriver cannot do: intercepting every request
//! (`Fetch`), following out-of-process iframes and workers (`Target.setAutoAttach`), and exact
//! emulation. Sessions are multiplexed on one connection in "flat" mode: each message carries
//! the `sessionId` of the target it is for. Events go to one channel; commands await their
//! own answer, so a slow command never blocks event handling.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

#[derive(Debug, thiserror::Error)]
pub enum CdpError {
    #[error("cannot connect to the browser's DevTools endpoint `{0}`: {1}")]
    Connect(String, String),
    #[error("DevTools command `{method}` failed: {message}")]
    Command { method: String, message: String },
    #[error("DevTools command `{0}` got no answer in time")]
    Timeout(String),
    #[error("the DevTools connection closed")]
    Closed,
}

/// An event from the browser, with the session (target) it came from.
#[derive(Debug, Clone)]
pub struct CdpEvent {
    pub method: String,
    pub params: Value,
    pub session_id: Option<String>,
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, String>>>>>;

/// A handle to the connection; cheap to clone.
#[derive(Clone)]
pub struct Cdp {
    next_id: Arc<AtomicU64>,
    out: mpsc::UnboundedSender<Message>,
    pending: Pending,
    /// Set when the browser's side of the connection ended: no answer can come any more.
    closed: Arc<AtomicBool>,
}

impl Cdp {
    /// Connects to a browser websocket URL and returns the handle and the event stream.
    pub async fn connect(
        ws_url: &str,
    ) -> Result<(Self, mpsc::UnboundedReceiver<CdpEvent>), CdpError> {
        let mut config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default();
        // Screenshots and request bodies arrive as large base64 strings.
        config.max_message_size = Some(512 << 20);
        config.max_frame_size = Some(512 << 20);
        let (ws, _) = tokio_tungstenite::connect_async_with_config(ws_url, Some(config), false)
            .await
            .map_err(|e| CdpError::Connect(ws_url.to_string(), e.to_string()))?;
        let (mut sink, mut stream) = ws.split();
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Message>();
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        let pending: Pending = Arc::default();
        tokio::spawn(async move {
            while let Some(msg) = out_rx.recv().await {
                if sink.send(msg).await.is_err() {
                    break;
                }
            }
        });
        let reader_pending = pending.clone();
        let closed = Arc::new(AtomicBool::new(false));
        let reader_closed = closed.clone();
        tokio::spawn(async move {
            while let Some(Ok(msg)) = stream.next().await {
                let Message::Text(text) = msg else { continue };
                let Ok(v) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                if let Some(id) = v.get("id").and_then(Value::as_u64) {
                    let waiter = reader_pending
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&id);
                    if let Some(tx) = waiter {
                        let result = match v.get("error") {
                            Some(e) => Err(e
                                .get("message")
                                .and_then(Value::as_str)
                                .unwrap_or("unknown error")
                                .to_string()),
                            None => Ok(v.get("result").cloned().unwrap_or(Value::Null)),
                        };
                        let _ = tx.send(result);
                    }
                } else if let Some(method) = v.get("method").and_then(Value::as_str) {
                    let _ = ev_tx.send(CdpEvent {
                        method: method.to_string(),
                        params: v.get("params").cloned().unwrap_or(Value::Null),
                        session_id: v
                            .get("sessionId")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    });
                }
            }
            // Wake every waiter: the connection is gone. Commands sent from now on fail at
            // once instead of waiting out their timeout (a killed browser).
            reader_closed.store(true, Ordering::SeqCst);
            reader_pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clear();
        });
        Ok((
            Self {
                next_id: Arc::new(AtomicU64::new(1)),
                out: out_tx,
                pending,
                closed,
            },
            ev_rx,
        ))
    }

    /// Sends a command to the browser (no session) or to one target's session.
    pub async fn send(
        &self,
        method: &str,
        params: Value,
        session: Option<&str>,
    ) -> Result<Value, CdpError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = Value::String(s.to_string());
        }
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, tx);
        if self.closed.load(Ordering::SeqCst) {
            self.pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id);
            return Err(CdpError::Closed);
        }
        self.out
            .send(Message::Text(msg.to_string().into()))
            .map_err(|_| CdpError::Closed)?;
        match tokio::time::timeout(Duration::from_secs(30), rx).await {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(message))) => Err(CdpError::Command {
                method: method.to_string(),
                message,
            }),
            Ok(Err(_)) => Err(CdpError::Closed),
            Err(_) => {
                self.pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&id);
                Err(CdpError::Timeout(method.to_string()))
            }
        }
    }
}

impl Cdp {
    /// Has a target auto-attach its children (iframes, workers) paused like itself, then
    /// lets it run: the last step of setting a target up, once its interception is on.
    /// Closes the connection (the browser stays): its reader and writer tasks end.
    pub fn close(&self) {
        let _ = self.out.send(Message::Close(None));
    }

    pub async fn follow_children_and_resume(&self, session: Option<&str>) {
        let _ = self
            .send(
                "Target.setAutoAttach",
                json!({ "autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true }),
                session,
            )
            .await;
        let _ = self
            .send("Runtime.runIfWaitingForDebugger", json!({}), session)
            .await;
    }
}

/// Finds the browser-wide websocket from a `debuggerAddress` (`host:port`).
pub async fn browser_ws_url(debugger_address: &str) -> Result<String, CdpError> {
    let url = format!("http://{debugger_address}/json/version");
    let err = |e: String| CdpError::Connect(url.clone(), e);
    let body: Value = reqwest::get(&url)
        .await
        .map_err(|e| err(e.to_string()))?
        .bytes()
        .await
        .map_err(|e| err(e.to_string()))
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| err(e.to_string())))?;
    body.get("webSocketDebuggerUrl")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| err("no `webSocketDebuggerUrl` in /json/version".into()))
}
