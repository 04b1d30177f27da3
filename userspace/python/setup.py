# SPDX-License-Identifier: LGPL-2.1-or-later OR MIT
"""Builds rtsync._rtsync against librtsync.a, linked statically so the
extension needs no installed librtsync.so. The archive is built first
(make -C userspace/lib) when it is missing."""
import os
import subprocess

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))
USERSPACE = os.path.dirname(HERE)
TOP = os.path.dirname(USERSPACE)
LIB_DIR = os.path.join(USERSPACE, "lib")
ARCHIVE = os.path.join(LIB_DIR, "librtsync.a")

if not os.path.exists(ARCHIVE):
    subprocess.check_call(["make", "-C", LIB_DIR, "librtsync.a"])

setup(
    ext_modules=[
        Extension(
            "rtsync._rtsync",
            sources=["rtsync/_rtsync.c"],
            include_dirs=[os.path.join(USERSPACE, "include"),
                          os.path.join(TOP, "uapi")],
            extra_objects=[ARCHIVE],
            extra_compile_args=["-Wall", "-Wextra", "-Werror"],
            depends=[ARCHIVE, os.path.join(USERSPACE, "include", "rtsync.h")],
        )
    ]
)
