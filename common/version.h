/*
 * version.h - the version of every runpad program (--version, the API's
 * runtimes).  packaging/debian/changelog carries the packages' version.
 */
#ifndef RUNPAD_VERSION_H
#define RUNPAD_VERSION_H

#define RUNPAD_VERSION "0.1.0"

#endif
