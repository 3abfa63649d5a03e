//! How checkpoints are named: one rule for the runner (which names the files under
//! `snapshots/`), the recorder (which names the checkpoint steps it writes) and importers
//! (which write baselines the runner must find under the same names).

/// A page's label: the last path segment without its extension, `index` for `/`. Not yet
/// file-name-safe: [`checkpoint_name`] slugs it.
pub fn page_label(url: &str) -> String {
    let path = url::Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
    let stem = last.split('.').next().unwrap_or("");
    if stem.is_empty() {
        "index".into()
    } else {
        stem.into()
    }
}

/// File-name-safe, lowercase, dash-separated; `checkpoint` when nothing is left.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "checkpoint".into()
    } else {
        out.chars().take(60).collect()
    }
}

/// The name of the checkpoint taken after 1-based `step` with `label` (a checkpoint step's
/// name, or a [`page_label`]): the stem of its files under `snapshots/<session>/`.
pub fn checkpoint_name(step: usize, label: &str) -> String {
    format!("{step:02}-{}", slug(label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_slugs() {
        assert_eq!(page_label("https://shop.test/"), "index");
        assert_eq!(
            page_label("https://shop.test/checkout.html?x=1"),
            "checkout"
        );
        assert_eq!(page_label("https://shop.test/a/b/"), "b");
        assert_eq!(slug("Results filtered!"), "results-filtered");
        assert_eq!(slug("../../etc"), "etc");
        assert_eq!(slug("***"), "checkpoint");
    }

    #[test]
    fn checkpoint_names_are_slugs_of_labels() {
        assert_eq!(
            checkpoint_name(2, &page_label("https://a.test/")),
            "02-index"
        );
        assert_eq!(
            checkpoint_name(8, &page_label("https://a.test/a/Order__Done/")),
            "08-order-done"
        );
        assert_eq!(checkpoint_name(20, "Order confirmed"), "20-order-confirmed");
        // A slug is its own slug: a name written by the recorder or an importer is the
        // name the runner gives the checkpoint.
        let label = slug(&page_label("https://a.test/a/Order__Done/"));
        assert_eq!(slug(&label), label);
    }
}
