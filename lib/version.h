/*
 * version.h — the one place the product version is written.
 */
#ifndef SEKISHO_VERSION_H
#define SEKISHO_VERSION_H

#define SEKISHO_VERSION "0.1.0"

#endif
