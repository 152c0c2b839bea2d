"""What a Linux control group still lets this process take: the memory limit of a container,
a Flatpak or a systemd slice, which ``MemAvailable`` does not see. A program over it is
killed by the kernel however much memory the machine has free.

Read from the files the kernel keeps (cgroup v2's ``memory.max``, v1's
``memory.limit_in_bytes``); psutil, the usual library for memory figures, does not read
them. Page cache the group holds counts as room, as the kernel reclaims it first.
"""

from __future__ import annotations

from pathlib import Path

NO_LIMIT = 1 << 60  # v1 writes "no limit" as a number near 2**63


def cgroup_room(membership: Path = Path("/proc/self/cgroup"), root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """Bytes this process's memory cgroup still allows, the tightest of it and its parents;
    None when no cgroup limits memory (or none can be read)."""
    try:
        lines = membership.read_text(encoding="ascii").splitlines()
    except OSError:
        return None
    rooms = []
    for line in lines:
        fields = line.split(":", 2)
        if len(fields) != 3:  # not a membership line: no limit known from it
            continue
        _id, controllers, path = fields
        if controllers == "" and (root / "cgroup.controllers").exists():  # v2: one hierarchy
            rooms += _rooms(root, path, "memory.max", "memory.current", "inactive_file")
        elif "memory" in controllers.split(","):  # v1: the memory controller's own hierarchy
            rooms += _rooms(root / "memory", path, "memory.limit_in_bytes", "memory.usage_in_bytes",
                            "total_inactive_file")
    return min(rooms) if rooms else None


def _rooms(mount: Path, path: str, limit_name: str, usage_name: str, cache_name: str) -> list[int]:
    """The room left under each limit from the group up to the mount (inside a container the
    group's own path is often not mounted: then the mount's root is the group)."""
    rooms = []
    folder = mount / path.lstrip("/")
    for group in (folder, *folder.parents):
        if not group.is_relative_to(mount):
            break
        limit = _number(group / limit_name)
        usage = _number(group / usage_name)
        if limit is not None and usage is not None and limit < NO_LIMIT:
            rooms.append(max(0, limit - usage + (_stat(group / "memory.stat", cache_name) or 0)))
    return rooms


def _number(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # v2 writes "max" for no limit


def _stat(path: Path, key: str) -> int | None:
    try:
        for line in path.read_text(encoding="ascii").splitlines():
            name, _, value = line.partition(" ")
            if name == key and value.strip().isdigit():
                return int(value)
    except OSError:
        pass
    return None
