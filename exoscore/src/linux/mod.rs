//! The Linux personality's pure parts (docs/LINUX.md facts in /work/shared/LINUX.md): reading a
//! static x86-64 Linux ELF into a load plan (`elf`), and building the initial stack the Linux ABI
//! expects, argc, argv, envp and auxv (`stack`). ExOS maps the segments and starts the program.
pub mod elf;
pub mod stack;
