//! A network namespace of its own for a test, as `ip netns` makes one: only
//! a loopback interface, so nothing in it can reach beyond 127.0.0.0/8 and
//! ::1, and nothing outside can reach its servers. `/etc/netns/NAME/` holds
//! the `hosts` and `resolv.conf` that `ip netns exec` binds over `/etc/` for
//! the processes started in it, as a container has its own. Needs root;
//! dropping it deletes the namespace and those files.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

pub struct Netns {
    name: String,
}

static MADE: AtomicUsize = AtomicUsize::new(0);

fn ip(args: &[&str]) {
    let out = Command::new("ip").args(args).output().unwrap_or_else(|e| panic!("cannot run ip (iproute2): {e}"));
    assert!(
        out.status.success(),
        "ip {} failed (these tests need root and iproute2; scripts/test installs iproute2): {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Netns {
    /// A new namespace with its loopback up; `hosts` becomes its `/etc/hosts`,
    /// and its resolver is `nameserver 127.0.0.1` inside it, where no DNS
    /// server listens: a name not in `hosts` fails at once, on loopback.
    pub fn create(hosts: &str) -> Netns {
        let name = format!("kbz-{}-{}", std::process::id(), MADE.fetch_add(1, Ordering::SeqCst));
        ip(&["netns", "add", &name]);
        let netns = Netns { name };
        ip(&["-n", &netns.name, "link", "set", "lo", "up"]);
        std::fs::create_dir_all(netns.etc()).expect("create /etc/netns/NAME");
        std::fs::write(netns.etc().join("hosts"), hosts).expect("write the namespace's hosts");
        std::fs::write(netns.etc().join("resolv.conf"), "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
            .expect("write the namespace's resolv.conf");
        netns
    }

    fn etc(&self) -> PathBuf {
        PathBuf::from("/etc/netns").join(&self.name)
    }

    /// `ip netns exec NAME`, to which the program and its arguments are added:
    /// it execs them, so the child's PID is the program's.
    pub fn exec(&self) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]);
        command
    }

    /// The namespace as the kernel names it in `/proc/PID/ns/net`.
    pub fn kernel_name(&self) -> String {
        let path = PathBuf::from("/run/netns").join(&self.name);
        let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(path).expect("the namespace's file"));
        format!("net:[{inode}]")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.name]).output();
        let _ = std::fs::remove_dir_all(self.etc());
    }
}
