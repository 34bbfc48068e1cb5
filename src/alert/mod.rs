//! Alerts and digests: what the people who watch the court read. `digest` gathers a period's
//! flagged narratives, stored-query volumes, top documents and source problems, and renders them;
//! every piece of crawled text is escaped for the format it lands in.

pub mod digest;
