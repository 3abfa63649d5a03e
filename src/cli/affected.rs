//! `run --affected-by REF` / `--affected FILES`: which sessions a change touches, from the
//! coverage `reprise curate --coverage` stored in `.reprise/coverage/`. docs/curation.md.

use super::{curate, exit, Failure, RunArgs};
use crate::browser::intercept::AppSource;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

/// The filters (`=ID` each) selecting the affected sessions; `None` when none is affected
/// and `--allow-empty` says that is fine. Prints why each session was chosen.
pub(super) fn filters(
    args: &RunArgs,
    suite: &Path,
    app: &AppSource,
) -> Result<Option<Vec<String>>, Failure> {
    let AppSource::Dir(app_dir) = app else {
        return Err(Failure::usage(
            "--affected-by/--affected map changed files to sessions through the app folder, and the build comes from a URL".into(),
            Some("pass `--app-dir DIR` (the folder the coverage was measured on)"),
        ));
    };
    let changed = match &args.affected_by {
        Some(r) => git_changed(suite, r)?,
        None => args
            .affected
            .iter()
            .map(|f| std::path::absolute(f).unwrap_or_else(|_| f.clone()))
            .collect(),
    };
    let app_abs = absolute(app_dir);
    let suite_abs = absolute(suite);
    let mut app_files = Vec::new();
    let mut suite_files = Vec::new();
    // (as given, as mapped) of the named files that do not exist: a deleted module still
    // selects the sessions that ran it, but one nothing ran is most likely a typo
    let mut missing = Vec::new();
    for (i, f) in changed.iter().map(|f| normalize(f)).enumerate() {
        let mapped = if let Ok(rel) = f.strip_prefix(&app_abs) {
            let rel = slash(rel);
            app_files.push(rel.clone());
            rel
        } else if let Ok(rel) = f.strip_prefix(&suite_abs) {
            let rel = slash(rel);
            if rel.starts_with("recordings/") || rel.starts_with("mocks/") {
                suite_files.push(rel.clone());
                rel
            } else {
                // an original source a source map names, outside the served folder
                let rel = relative(&app_abs, &f);
                app_files.push(rel.clone());
                rel
            }
        } else {
            let rel = relative(&app_abs, &f);
            app_files.push(rel.clone());
            rel
        };
        if args.affected_by.is_none() && !f.exists() {
            // as the user typed it
            missing.push((args.affected.get(i).cloned().unwrap_or_default(), mapped));
        }
    }
    let (chosen, unmapped) = curate::affected(suite, &app_files, &suite_files)?;
    // A typo in `--affected` must not shrink the run to the `always` sessions and pass.
    if let Some((given, _)) = missing.iter().find(|(_, m)| unmapped.contains(m)) {
        return Err(Failure::usage(
            format!(
                "--affected `{}`: no such file, and no stored coverage runs it",
                given.display()
            ),
            Some("name files that exist (or that a session's stored coverage ran, if deleted), relative to the current folder"),
        ));
    }
    let what = match &args.affected_by {
        Some(r) => format!("changed since `{r}`"),
        None => "given".into(),
    };
    println!("affected: {} file(s) {what}", changed.len());
    for (id, why) in &chosen {
        println!("  run {id}: {why}");
    }
    for f in unmapped.iter().filter(|f| !suite_files.contains(f)) {
        println!("  no stored coverage runs `{f}`: no session was chosen for it");
    }
    if chosen.is_empty() {
        if args.allow_empty {
            println!("affected: no session touches the change; nothing replayed (--allow-empty)");
            return Ok(None);
        }
        return Err(Failure {
            message: format!(
                "no session is affected by the {} changed file(s): nothing would be replayed, and that is not a pass",
                changed.len()
            ),
            hint: Some(
                "run the whole suite, measure coverage with `reprise curate --coverage`, or pass `--allow-empty` if an empty run is what you want"
                    .into(),
            ),
            code: exit::USAGE,
        });
    }
    Ok(Some(
        chosen.into_iter().map(|(id, _)| format!("={id}")).collect(),
    ))
}

/// Files changed since `reference`: `git diff --name-only REF...HEAD`, plus staged, unstaged
/// and untracked files of the working tree; absolute paths.
fn git_changed(suite: &Path, reference: &str) -> Result<Vec<PathBuf>, Failure> {
    if reference.starts_with('-') {
        return Err(Failure::usage(
            format!("--affected-by `{reference}` is not a git revision"),
            Some("give a branch, tag or commit, e.g. `--affected-by origin/main`"),
        ));
    }
    let git = |argv: &[&str]| -> Result<String, Failure> {
        let out = Command::new("git")
            .arg("-C")
            .arg(suite)
            .args(argv)
            .output()
            .map_err(|e| Failure {
                message: format!("cannot run git: {e}"),
                hint: Some("install git, or name the files with `--affected FILE…`".into()),
                code: exit::INFRASTRUCTURE,
            })?;
        if !out.status.success() {
            return Err(Failure::usage(
                format!(
                    "`git {}` failed: {}",
                    argv.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
                Some("give a revision git knows (`git log --oneline` lists them), from inside the repository"),
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?.trim());
    let range = format!("{reference}...HEAD");
    let mut names = Vec::new();
    for argv in [
        vec!["diff", "--name-only", range.as_str(), "--"],
        vec!["diff", "--name-only", "HEAD", "--"],
        vec!["ls-files", "--others", "--exclude-standard", "--full-name"],
    ] {
        names.extend(git(&argv)?.lines().map(str::to_string));
    }
    names.sort();
    names.dedup();
    Ok(names
        .into_iter()
        .filter(|n| !n.is_empty())
        .map(|n| top.join(n))
        .collect())
}

fn absolute(p: &Path) -> PathBuf {
    normalize(
        &std::fs::canonicalize(p)
            .unwrap_or_else(|_| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())),
    )
}

/// `.` and `..` resolved lexically (the file may be deleted, so no canonicalize); symlinked
/// parents resolved when the parent exists.
fn normalize(p: &Path) -> PathBuf {
    let p = match (p.parent(), p.file_name()) {
        (Some(dir), Some(name)) => std::fs::canonicalize(dir)
            .map(|d| d.join(name))
            .unwrap_or_else(|_| p.to_path_buf()),
        _ => p.to_path_buf(),
    };
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

fn slash(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// `file` relative to `base`, with `..` where it leaves it.
fn relative(base: &Path, file: &Path) -> String {
    let b: Vec<_> = base.components().collect();
    let f: Vec<_> = file.components().collect();
    let common = b.iter().zip(&f).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".into(); b.len() - common];
    parts.extend(
        f[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}
