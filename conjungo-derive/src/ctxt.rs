//! Error collection: every problem is recorded with its span and reported at once.
//!
//! A `Ctxt` must end in [`Ctxt::check`]: dropping one unchecked (which would lose its
//! errors and let a broken input through) panics, as serde_derive's does.

use std::cell::RefCell;
use std::fmt::Display;

use proc_macro2::Span;

pub struct Ctxt {
    /// `None` once checked.
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Default for Ctxt {
    fn default() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }
}

impl Ctxt {
    pub fn error(&self, span: Span, message: impl Display) {
        self.syn_error(syn::Error::new(span, message));
    }

    pub fn syn_error(&self, error: syn::Error) {
        self.errors
            .borrow_mut()
            .as_mut()
            .expect("a checked Ctxt takes no more errors")
            .push(error);
    }

    /// All recorded errors, combined into one, or `Ok` if there were none.
    pub fn check(self) -> syn::Result<()> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        let mut errors = errors.into_iter();
        let Some(mut first) = errors.next() else {
            return Ok(());
        };
        for e in errors {
            first.combine(e);
        }
        Err(first)
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.borrow().is_some() {
            panic!(
                "conjungo-derive: a Ctxt was dropped without `check` (its errors would be lost)"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_contexts_report_every_error_once() {
        let cx = Ctxt::default();
        cx.error(Span::call_site(), "one");
        cx.error(Span::call_site(), "two");
        let messages: Vec<String> = cx
            .check()
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(messages, ["one", "two"]);
        assert!(Ctxt::default().check().is_ok());
    }

    #[test]
    #[should_panic(expected = "dropped without `check`")]
    fn an_unchecked_context_cannot_be_dropped() {
        let cx = Ctxt::default();
        cx.error(Span::call_site(), "lost");
    }
}
