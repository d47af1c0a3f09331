/* fuzz_bundle.c - reading a bundle that anyone may have written: the tar
 * on an in-memory file, unpacked by provenance/bundle_read.c into a
 * private directory (made once, emptied after every input).
 *
 * Whether it is accepted or not, the directory then holds only what
 * bundle_read.h allows: regular files named NAME.json, NAME.md,
 * NAME.models or NAME.safetensors with one valid NAME, and a directory
 * data/ of regular files with valid names; no link, nothing else.  An
 * accepted bundle's contents list exactly what is there. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "base/text.h"
#include "fuzz_common.h"
#include "os/tmpdir.h"
#include "provenance/bundle_read.h"

static char dir[4096];

static int model_file(const char *name, const char *model)
{
	static const char *suffix[] = {".json", ".md", ".models", ".safetensors"};
	size_t i, n = strlen(name), m = strlen(model);
	for (i = 0; i < 4; i++)
		if (n == m + strlen(suffix[i]) && !strncmp(name, model, m) &&
		    !strcmp(name + m, suffix[i]))
			return 1;
	return 0;
}

/* What is in dir: checked entry by entry; the count of files. */
static size_t check_dir(const char *path, int in_data, const dm_bundle_contents *bc)
{
	DIR *d = opendir(path);
	struct dirent *e;
	size_t files = 0;
	FUZZ_CHECK(d != NULL);
	while ((e = readdir(d))) {
		char sub[8192];
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
		FUZZ_CHECK(lstat(sub, &st) == 0);
		if (!in_data && !strcmp(e->d_name, "data") && S_ISDIR(st.st_mode)) {
			files += check_dir(sub, 1, bc);
			continue;
		}
		FUZZ_CHECK(S_ISREG(st.st_mode));
		if (in_data)
			FUZZ_CHECK(dm_file_name_problem(e->d_name) == NULL);
		else
			FUZZ_CHECK(bc->model[0] && dm_model_name_problem(bc->model) == NULL &&
				   model_file(e->d_name, bc->model));
		files++;
	}
	closedir(d);
	return files;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dm_bundle_contents bc;
	dm_error err = {"", 0};
	const char *path = fuzz_file(0, data, size);
	size_t files, bits = 0, i;
	int fd, rc;
	if (!dir[0]) {
		FUZZ_CHECK(dm_private_dir("dm-fuzz-bundle", dir, sizeof dir, NULL) == 0);
	}
	FUZZ_CHECK((fd = open(dir, O_RDONLY | O_DIRECTORY)) >= 0);
	rc = dm_bundle_unpack(path, fd, &bc, &err);
	close(fd);
	if (rc)
		fuzz_check_message(err.msg);
	files = check_dir(dir, 0, &bc);
	if (rc == 0) {
		for (i = 0; i < 4; i++)
			bits += (bc.have >> i) & 1;
		FUZZ_CHECK(files == bits + bc.ndata);
		FUZZ_CHECK(bc.ndata <= DM_BUNDLE_MAX_DATA);
	}
	FUZZ_CHECK(dm_remove_tree(dir) == 0);
	FUZZ_CHECK(mkdir(dir, 0700) == 0);
	return 0;
}
