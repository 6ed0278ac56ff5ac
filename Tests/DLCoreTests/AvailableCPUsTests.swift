// The default thread count: the cgroup CPU quota read from sample files of cgroup v2 and v1, the
// cgroup directories found from sample /proc/self/cgroup and /proc/self/mountinfo texts (a
// container, a systemd slice, a hybrid v1 host like this project's), and the smaller limit winning.

import CKernels
@testable import DLCore
import XCTest

final class AvailableCPUsTests: XCTestCase {
    func testCgroupV2CPUMax() {
        XCTAssertNil(AvailableCPUs.quota(cpuMax: "max 100000\n"))
        XCTAssertEqual(AvailableCPUs.quota(cpuMax: "150000 100000\n"), 1.5)
        XCTAssertEqual(AvailableCPUs.quota(cpuMax: "50000 100000"), 0.5)
        XCTAssertEqual(AvailableCPUs.quota(cpuMax: "400000 100000\n"), 4)
        XCTAssertNil(AvailableCPUs.quota(cpuMax: ""))
        XCTAssertNil(AvailableCPUs.quota(cpuMax: "100000 0\n"))
    }

    func testCgroupV1Quota() {
        XCTAssertNil(AvailableCPUs.quota(cfsQuota: "-1\n", cfsPeriod: "100000\n"))
        XCTAssertEqual(AvailableCPUs.quota(cfsQuota: "250000\n", cfsPeriod: "100000\n"), 2.5)
        XCTAssertEqual(AvailableCPUs.quota(cfsQuota: "20000", cfsPeriod: "100000"), 0.2)
        XCTAssertNil(AvailableCPUs.quota(cfsQuota: "50000\n", cfsPeriod: "garbage"))
    }

    func testTheSmallerLimitRoundedUpAndAtLeastOne() {
        XCTAssertEqual(AvailableCPUs.combined(affinity: 8, quota: 1.5), 2)
        XCTAssertEqual(AvailableCPUs.combined(affinity: 2, quota: nil), 2)
        XCTAssertEqual(AvailableCPUs.combined(affinity: 2, quota: 6), 2)
        XCTAssertEqual(AvailableCPUs.combined(affinity: 64, quota: 0.2), 1)
        XCTAssertEqual(AvailableCPUs.combined(affinity: 0, quota: nil), 1)
    }

    func testAContainersCgroupV2() {
        let found = AvailableCPUs.cgroups(
            controller: "cpu",
            cgroup: "0::/\n",
            mountInfo: """
                612 540 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate
                613 612 0:51 / /proc rw,nosuid - proc proc rw
                """)
        XCTAssertEqual(found, [.init(version: 2, directory: "/sys/fs/cgroup", mountPoint: "/sys/fs/cgroup")])
    }

    func testASystemdSliceUnderCgroupV2() {
        let found = AvailableCPUs.cgroups(
            controller: "cpu",
            cgroup: "0::/system.slice/dltrain.service\n",
            mountInfo: "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw\n")
        XCTAssertEqual(
            found, [.init(version: 2, directory: "/sys/fs/cgroup/system.slice/dltrain.service", mountPoint: "/sys/fs/cgroup")])
    }

    /// This project's machine: v1 controllers, the cpu one alone, and a v2 hierarchy without them.
    func testAHybridHostUsesTheV1CPUController() {
        let found = AvailableCPUs.cgroups(
            controller: "cpu",
            cgroup: "4:memory:/process_api/03a09f\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n",
            mountInfo: """
                31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
                32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
                33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
                41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
                """)
        XCTAssertEqual(found, [
            .init(version: 1, directory: "/sys/fs/cgroup/cpu", mountPoint: "/sys/fs/cgroup/cpu"),
            .init(version: 2, directory: "/sys/fs/cgroup/unified", mountPoint: "/sys/fs/cgroup/unified"),
        ])
    }

    /// A v1 container whose cgroup is the mount's root: the mount point is its directory.
    func testAV1ContainerWhoseCgroupIsTheMountRoot() {
        let found = AvailableCPUs.cgroups(
            controller: "cpu",
            cgroup: "5:cpu,cpuacct:/docker/abc123\n",
            mountInfo: "700 690 0:32 /docker/abc123 /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct\n")
        XCTAssertEqual(found, [.init(version: 1, directory: "/sys/fs/cgroup/cpu,cpuacct", mountPoint: "/sys/fs/cgroup/cpu,cpuacct")])
    }

    func testThisProcessHasAtLeastOneCPUAndNoMoreThanItsAffinity() {
        let count = AvailableCPUs.count()
        XCTAssertGreaterThanOrEqual(count, 1)
        XCTAssertLessThanOrEqual(count, max(1, Int(dl_affinity_cpu_count())))
    }
}
