//! The network utilities' pure logic: addresses and URLs (`url`), HTTP/1.0 requests and responses
//! (`http`), outgoing frames' bindings (`frame`), `ping`'s statistics (`ping`) and `ifconfig`'s lines (`show`). ExOS's stack (`exos/src/net/`)
//! and the tools in `user/tools` do the sockets and system calls.
pub mod frame;
pub mod http;
pub mod ping;
pub mod show;
pub mod url;
