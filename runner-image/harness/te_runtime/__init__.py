"""The in-container runtime guard of the Tool Executor harness (see ../PROTOCOL.md).

guard    restricted builtins, the import guard and the public views of modules a skill receives
modules  the skill's files compiled from memory, checked, and served by a meta-path finder
audit    the audit hook that refuses files, network, processes, native code and introspection
"""
