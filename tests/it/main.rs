//! Vigil's integration tests: one binary (as ripgrep does), fixtures served by a local HTTP
//! server on 127.0.0.1, never the internet.

mod attacks;
mod broker;
mod browser;
mod cli;
mod cluster;
mod crash;
mod crawl;
mod demo;
mod digests;
mod evidence;
mod fulltext;
mod hostile;
mod leaks;
mod narratives;
mod partners;
mod social;
mod support;
mod tune;
mod web;
mod webui;
