//! `[app] command`: a preview server reprise starts before a run and stops after it.

use std::time::{Duration, Instant};

pub struct AppServer {
    child: std::process::Child,
}

impl AppServer {
    /// Starts the command in its own process group and waits until `url` answers.
    pub async fn start(
        command: &str,
        dir: &std::path::Path,
        url: &url::Url,
    ) -> Result<Self, String> {
        let mut cmd = std::process::Command::new("sh");
        cmd.arg("-c")
            .arg(command)
            .current_dir(dir)
            .stdin(std::process::Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start `{command}`: {e}"))?;
        let mut server = Self { child };
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = server.child.try_wait() {
                return Err(format!(
                    "`{command}` exited with {status} before `{url}` answered"
                ));
            }
            if client.get(url.clone()).send().await.is_ok() {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(format!(
            "`{url}` did not answer within 60 s after starting `{command}`"
        ))
    }
}

impl Drop for AppServer {
    fn drop(&mut self) {
        // SAFETY: killpg only sends a signal to the group created at spawn.
        unsafe {
            libc::killpg(self.child.id() as i32, libc::SIGTERM);
        }
        let _ = self.child.wait();
    }
}
