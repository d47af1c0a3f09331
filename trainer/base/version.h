/* version.h - the trainer's version, recorded in every provenance. */
#ifndef DM_VERSION_H
#define DM_VERSION_H
#define DM_VERSION "0.1.0"
#endif
