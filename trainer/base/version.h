/* version.h - the trainer's version, recorded in every provenance.  The
 * build fills it in from debian/changelog, the one place it is written
 * (Makefile: VERSION, -DDM_VERSION). */
#ifndef DM_VERSION_H
#define DM_VERSION_H
#ifndef DM_VERSION
#error "DM_VERSION comes from the build: make reads it from debian/changelog"
#endif
#endif
