// How many threads a process computes with unless told otherwise: the CPUs it may run on, which
// its affinity mask (taskset, a container's --cpuset-cpus) and its cgroup's CPU quota (a
// container's --cpus, systemd's CPUQuota) both limit. The quota is read for the process's cgroup
// and every cgroup above it, in cgroup v2 (`cpu.max`) and v1 (`cpu.cfs_quota_us` over
// `cpu.cfs_period_us`) alike, found through /proc/self/cgroup and /proc/self/mountinfo (MemoryBudget
// reads the memory controller's limits through the same search).

import CKernels
import Glibc

public enum AvailableCPUs {
    /// The smaller of the CPUs in the affinity mask and the cgroup CPU quota rounded up; at least 1.
    public static func count() -> Int {
        // The mask cannot be read only on a system without sched_getaffinity: the online CPUs then.
        let affinity = dl_affinity_cpu_count()
        return combined(affinity: affinity > 0 ? affinity : sysconf(Int32(_SC_NPROCESSORS_ONLN)), quota: cgroupQuota())
    }

    /// The smaller of the two limits (a fractional quota rounded up; nil is none), at least 1.
    static func combined(affinity: Int, quota: Double?) -> Int {
        let quotaCPUs = quota.map { Int(min($0.rounded(.up), Double(Int32.max))) }
        return max(1, min(affinity, quotaCPUs ?? Int.max))
    }

    /// cgroup v2's `cpu.max` ("QUOTA PERIOD" in microseconds, or "max PERIOD"): CPUs, or nil for none.
    static func quota(cpuMax: String) -> Double? {
        let fields = cpuMax.split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, let quota = Double(fields[0]) else { return nil }
        return cpus(quota: quota, period: Double(fields[1]))
    }

    /// cgroup v1's `cpu.cfs_quota_us` (-1 for none) and `cpu.cfs_period_us`: CPUs, or nil for none.
    static func quota(cfsQuota: String, cfsPeriod: String) -> Double? {
        guard let quota = Double(cfsQuota.withoutWhitespace) else { return nil }
        return cpus(quota: quota, period: Double(cfsPeriod.withoutWhitespace))
    }

    private static func cpus(quota: Double, period: Double?) -> Double? {
        guard quota > 0, let period, period > 0 else { return nil }
        return quota / period
    }

    /// A cgroup directory holding a controller's files, and the mount point above which its
    /// ancestors are not visible.
    struct Cgroup: Equatable {
        var version: Int
        var directory: String
        var mountPoint: String
    }

    /// The process's cgroups of `controller` ("cpu", "memory"), from the text of /proc/self/cgroup
    /// and /proc/self/mountinfo: the v2 one ("0::PATH" under a cgroup2 mount) and the v1 one (the
    /// line naming the controller under a cgroup mount with its option).
    static func cgroups(controller: String, cgroup: String, mountInfo: String) -> [Cgroup] {
        var mounts: [(version: Int, root: String, point: String)] = []
        for line in mountInfo.split(separator: "\n") {
            let halves = line.split(separator: " - ")
            guard halves.count == 2 else { continue }
            let fields = halves[0].split(separator: " "), tail = halves[1].split(separator: " ")
            guard fields.count >= 5, tail.count >= 3 else { continue }
            if tail[0] == "cgroup2" {
                mounts.append((2, String(fields[3]), String(fields[4])))
            } else if tail[0] == "cgroup", tail[2].split(separator: ",").contains(Substring(controller)) {
                mounts.append((1, String(fields[3]), String(fields[4])))
            }
        }
        var found: [Cgroup] = []
        for line in cgroup.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            let version = fields[0] == "0" && fields[1].isEmpty ? 2 : 1
            guard version == 2 || fields[1].split(separator: ",").contains(Substring(controller)) else { continue }
            let path = String(fields[2])
            for mount in mounts where mount.version == version {
                // Below the mount's root, the path continues under the mount point; a path outside
                // it (another cgroup namespace) leaves the mount point's own directory.
                let relative = mount.root == "/" ? path : path.hasPrefix(mount.root) ? String(path.dropFirst(mount.root.count)) : ""
                let directory = (mount.point + "/" + relative).replacingDoubleSlashes
                found.append(Cgroup(version: version, directory: directory, mountPoint: mount.point))
            }
        }
        return found
    }

    /// The smallest CPU quota of the process's cgroups and their ancestors up to each mount point.
    private static func cgroupQuota() -> Double? {
        smallestCgroupLimit(controller: "cpu") { directory, version in
            if version == 2, let cpuMax = readSmallFile(directory + "/cpu.max") { return quota(cpuMax: cpuMax) }
            guard version == 1, let cfsQuota = readSmallFile(directory + "/cpu.cfs_quota_us"),
                let cfsPeriod = readSmallFile(directory + "/cpu.cfs_period_us")
            else { return nil }
            return quota(cfsQuota: cfsQuota, cfsPeriod: cfsPeriod)
        }
    }

    /// The smallest of the limits `limit` reads from a directory (with its cgroup version) over the
    /// process's cgroups of `controller` and their ancestors up to each mount point; nil for none.
    static func smallestCgroupLimit<Limit: Comparable>(
        controller: String, _ limit: (_ directory: String, _ version: Int) -> Limit?
    ) -> Limit? {
        guard let cgroup = readSmallFile("/proc/self/cgroup"), let mountInfo = readSmallFile("/proc/self/mountinfo") else {
            return nil
        }
        var smallest: Limit?
        for cgroup in cgroups(controller: controller, cgroup: cgroup, mountInfo: mountInfo) {
            var directory = cgroup.directory
            while true {
                if let found = limit(directory, cgroup.version) { smallest = min(smallest ?? found, found) }
                guard directory.count > cgroup.mountPoint.count, let slash = directory.lastIndex(of: "/") else { break }
                directory = String(directory[..<slash])
            }
        }
        return smallest
    }

    /// A file of /proc or /sys as text (they report no size, so it is read until its end).
    static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return count == 0 ? String(decoding: bytes, as: UTF8.self) : nil }
            bytes += chunk[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    fileprivate var withoutWhitespace: String { filter { !$0.isWhitespace } }

    /// The path with no empty component ("/a//b/" is "/a/b").
    fileprivate var replacingDoubleSlashes: String {
        "/" + split(separator: "/").joined(separator: "/")
    }
}
