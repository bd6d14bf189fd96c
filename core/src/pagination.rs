//! Pages and auto-paging streams.

use std::collections::{HashSet, VecDeque};

use futures_core::Stream;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::meta::ResponseMeta;
use crate::request::decode;
use crate::transport::RequestSpec;

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    /// Items across all pages that match the filters.
    #[serde(default)]
    pub total: Option<u64>,
    /// Page size the server applied.
    #[serde(default)]
    pub limit: Option<u32>,
    /// Token of the next page; `None` on the last page.
    #[serde(default)]
    pub next_page_token: Option<String>,
}

impl<T> Page<T> {
    pub fn has_next(&self) -> bool {
        self.next_page_token
            .as_deref()
            .is_some_and(|t| !t.is_empty())
    }
}

/// Builds the request for a page from its token (`None` for the first page).
pub type PageRequest = Box<dyn Fn(Option<&str>) -> RequestSpec + Send + Sync>;

/// Pages of a list, in order, with each page's metadata. Filters and `limit` are kept on every
/// request; a token the server already sent is an error rather than an endless loop.
pub fn pages<T: DeserializeOwned + Send + 'static>(
    client: Client,
    request: PageRequest,
) -> impl Stream<Item = Result<(Page<T>, ResponseMeta)>> + Send + Unpin + 'static {
    struct State {
        client: Client,
        request: PageRequest,
        token: Option<String>,
        tokens: TokenGuard,
        done: bool,
        /// Reported after the page that carried the repeated token has been yielded.
        pending: Option<Error>,
    }
    let st = State {
        client,
        request,
        token: None,
        tokens: TokenGuard::default(),
        done: false,
        pending: None,
    };
    // Boxed so callers can `.next().await` without pinning it themselves.
    Box::pin(futures_util::stream::unfold(st, |mut st| async move {
        if let Some(e) = st.pending.take() {
            return Some((Err(e), st));
        }
        if st.done {
            return None;
        }
        let spec = (st.request)(st.token.as_deref());
        let raw = match st.client.execute(spec).await {
            Ok(r) => r,
            Err(e) => {
                st.done = true;
                return Some((Err(e), st));
            }
        };
        let page: Page<T> = match decode(&raw) {
            Ok(p) => p,
            Err(e) => {
                st.done = true;
                let e = st.client.shape_error(e);
                return Some((Err(e), st));
            }
        };
        match st
            .tokens
            .next(page.next_page_token.clone(), raw.meta.request_id.as_deref())
        {
            Ok(Some(t)) => st.token = Some(t),
            Ok(None) => st.done = true,
            // The page that carried the repeated token is still yielded, then the error.
            Err(e) => {
                st.done = true;
                st.pending = Some(e);
            }
        }
        Some((Ok((page, raw.meta)), st))
    }))
}

/// The one rule for following page tokens: an empty token ends the list, and a token the
/// server already sent is [`Error::Protocol`] instead of an endless loop.
#[derive(Debug, Default)]
pub struct TokenGuard {
    seen: HashSet<String>,
}

impl TokenGuard {
    /// The token to request next, `None` when the list is complete.
    pub fn next(
        &mut self,
        token: Option<String>,
        request_id: Option<&str>,
    ) -> Result<Option<String>> {
        match token.filter(|t| !t.is_empty()) {
            Some(t) if !self.seen.insert(t.clone()) => Err(Error::Protocol {
                message: "the server repeated a page token; stopping to avoid an endless loop"
                    .into(),
                request_id: request_id.map(str::to_string),
            }),
            other => Ok(other),
        }
    }
}

/// Items of every page, in order.
pub fn items<T: DeserializeOwned + Send + 'static>(
    client: Client,
    request: PageRequest,
) -> impl Stream<Item = Result<T>> + Send + Unpin + 'static {
    use futures_util::StreamExt;
    let pages = pages::<T>(client, request);
    Box::pin(futures_util::stream::unfold(
        (pages, VecDeque::new(), false),
        |(mut pages, mut buf, mut failed)| async move {
            loop {
                if let Some(item) = buf.pop_front() {
                    return Some((Ok(item), (pages, buf, failed)));
                }
                if failed {
                    return None;
                }
                match pages.next().await? {
                    Ok((page, _)) => buf.extend(page.items),
                    Err(e) => {
                        failed = true;
                        return Some((Err(e), (pages, buf, failed)));
                    }
                }
            }
        },
    ))
}
