/* Unit tests: the language registry. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"

static const char good[] =
        "# comment\n"
        "[python]\n"
        "name = Python\n"
        "aliases = py python3\n"
        "version = python3 --version\n"
        "source = main.py\n"
        "run = python3 -u main.py\n"
        "mode = python\n"
        "env = PYTHONDONTWRITEBYTECODE=1\n"
        "limits = memory=512M processes=32\n"
        "\n"
        "[c]\n"
        "name = C\n"
        "source = main.c\n"
        "compile = gcc -O2 -o main main.c \"-Dx=a b\" '-DY=\\n'\n"
        "run = ./main {args} --end\n"
        "compile_limits = cpu_time=30s\n";

static int parse(const char *text, struct sbx_registry *reg, char *err)
{
	return sbx_registry_parse(text, strlen(text), reg, err, 256);
}

Test(registry, parses_languages_and_keys)
{
	struct sbx_registry reg;
	char err[256] = "";

	cr_assert_eq(parse(good, &reg, err), 0, "%s", err);
	cr_assert_eq(reg.n, 2);
	const struct sbx_lang *py = sbx_registry_find(&reg, "PY3");
	cr_assert_null(py);
	py = sbx_registry_find(&reg, "Python3");
	cr_assert_not_null(py);
	cr_assert_str_eq(py->id, "python");
	cr_assert_str_eq(py->run_cmd[1], "-u");
	cr_assert_str_eq(py->limits[1], "processes=32");
	cr_assert_str_eq(py->env[0], "PYTHONDONTWRITEBYTECODE=1");
	const struct sbx_lang *c = sbx_registry_find(&reg, "c");
	cr_assert_str_eq(c->mode, "plain", "mode defaults to plain");
	cr_assert_str_eq(c->compile_cmd[5], "-Dx=a b");
	cr_assert_str_eq(c->compile_cmd[6], "-DY=\\n");
	cr_assert_null(c->compile_cmd[7]);
	sbx_registry_fini(&reg);
}

Test(registry, user_args_replace_the_placeholder_or_append)
{
	struct sbx_registry reg;
	char err[256];
	const char *args[] = {"a b", "c", NULL};

	cr_assert_eq(parse(good, &reg, err), 0);
	char **v = sbx_lang_argv(
	        (const char *const *)sbx_registry_find(&reg, "c")->run_cmd,
	        args);
	cr_assert_str_eq(v[0], "./main");
	cr_assert_str_eq(v[1], "a b");
	cr_assert_str_eq(v[2], "c");
	cr_assert_str_eq(v[3], "--end");
	cr_assert_null(v[4]);
	sbx_argv_free(v);
	v = sbx_lang_argv(
	        (const char *const *)sbx_registry_find(&reg, "py")->run_cmd,
	        args);
	cr_assert_str_eq(v[3], "a b");
	cr_assert_null(v[5]);
	sbx_argv_free(v);
	sbx_registry_fini(&reg);
}

/* A registry text that must be refused, and words its error must hold. */
struct bad_case {
	const char *text;
	const char *want;
};

/* Each of the n cases is refused, with its words, and leaves nothing. */
static void refused_all(const struct bad_case *bad, size_t n,
                        const char *prefix)
{
	for (size_t i = 0; i < n; i++) {
		struct sbx_registry reg;
		char text[1024], err[256] = "";
		snprintf(text, sizeof(text), "%s%s", prefix, bad[i].text);
		cr_assert_lt(parse(text, &reg, err), 0, "case %zu", i);
		cr_assert(strstr(err, bad[i].want), "case %zu: '%s' lacks '%s'",
		          i, err, bad[i].want);
		cr_assert_null(reg.langs);
	}
}

Test(registry, errors_name_the_line)
{
	static const struct bad_case bad[] = {
	        {"[a]\nsource=x\n", "needs 'source' and 'run'"},
	        {"[a]\nsource=x\nrun=y\nbogus=1\n", "line 4: unknown key"},
	        {"source=x\n", "outside a [language]"},
	        {"[a]\nsource=x\nrun=y\n[a]\nsource=x\nrun=y\n",
	         "already a language"},
	        {"[a]\naliases=b\nsource=x\nrun=y\n[b]\nsource=x\nrun=y\n",
	         "already a language"},
	        {"[a]\nsource=x\nrun=y 'z\n", "unterminated '"},
	        {"[a]\nsource=../x\nrun=y\n", "plain file name"},
	        {"[a]\nsource=x\nrun=y\nlimits=memory=1K\n", "memory"},
	        {"[a]\nsource=x\nsource=y\nrun=y\n", "given twice"},
	        {"[a b]\nsource=x\nrun=y\n", "bad language id"},
	        {"[a]\nsource=x\nrun=y\nenv=NOEQUALS\n", "not K=V"},
	        {"[a]\nsource=x\nrun=\n", "needs 'source' and 'run'"},
	};
	refused_all(bad, sizeof(bad) / sizeof(bad[0]), "");
}

Test(registry, nul_byte_is_refused)
{
	struct sbx_registry reg;
	char err[256];
	const char text[] = "[a]\nsource=x\0\nrun=y\n";

	cr_assert_eq(sbx_registry_parse(text, sizeof(text) - 1, &reg, err,
	                                sizeof(err)),
	             -EINVAL);
}

Test(registry, resolve_marks_installed_toolchains)
{
	struct sbx_registry reg;
	char err[256];
	const char *text =
	        "[sh]\nsource=a.sh\nrun=sh a.sh\nversion=sh -c 'echo 5.2.15'\n"
	        "[nope]\nsource=x\nrun=no-such-program-here x\n"
	        "[half]\nsource=x\ncompile=no-such-cc x\nrun=sh x\n";

	cr_assert_eq(parse(text, &reg, err), 0, "%s", err);
	sbx_registry_resolve(&reg, NULL);
	cr_assert(reg.langs[0].available);
	cr_assert_eq(reg.langs[0].run_cmd[0][0], '/', "resolved to a path");
	cr_assert_not(reg.langs[1].available);
	cr_assert_not(reg.langs[2].available);
	sbx_registry_detect_versions(&reg, NULL);
	cr_assert_str_eq(reg.langs[0].version, "5.2.15");
	cr_assert_null(reg.langs[1].version);
	sbx_registry_fini(&reg);
}

Test(registry, shipped_registry_parses)
{
	struct sbx_registry reg;
	char err[512] = "";

	cr_assert_eq(sbx_registry_load(RUNPAD_DATADIR "/languages.conf", &reg,
	                               err, sizeof(err)),
	             0, "%s", err);
	cr_assert_geq(reg.n, 30, "the registry ships 30+ languages");
	cr_assert_not_null(sbx_registry_find(&reg, "c"));
	cr_assert_not_null(sbx_registry_find(&reg, "python"));
	for (size_t i = 0; i < reg.n; i++) {
		const struct sbx_lang *l = &reg.langs[i];
		size_t n = l->starter ? strlen(l->starter) : 0;
		if (l->is_variant) /* its language's starter is the pad's */
			continue;
		cr_assert_gt(n, 0, "[%s] has no starter", l->id);
		/* tiny: what a new pad shows, not a program to study (a
		   dozen lines; assembly needs about thirty) */
		size_t lines = 0;
		for (const char *c = l->starter; *c; c++)
			lines += *c == '\n';
		cr_assert_leq(lines, 32, "[%s]'s starter has %zu lines", l->id,
		              lines);
	}
	sbx_registry_fini(&reg);
}

/* What a block keeps: every line as written, up to the tag. */
Test(registry, starter_block_is_kept_verbatim)
{
	static const char text[] = "[py]\n"
	                           "source = main.py\n"
	                           "starter = <<END\n"
	                           "# a comment, not the registry's\n"
	                           "name = input() or \"world\"\n"
	                           "[not_a_section]\n"
	                           "\n"
	                           "\tif x:  \r\n"
	                           "ENDING\n"
	                           "  END  \n"
	                           "run = python3 main.py\n"
	                           "[go]\nsource = main.go\nrun = /box/main\n"
	                           "starter=<< GO_1\n"
	                           "package main\n"
	                           "GO_1";
	struct sbx_registry reg;
	char err[256] = "";

	cr_assert_eq(parse(text, &reg, err), 0, "%s", err);
	cr_assert_eq(reg.n, 2, "a [line] in a block is not a section");
	cr_assert_str_eq(reg.langs[0].starter,
	                 "# a comment, not the registry's\n"
	                 "name = input() or \"world\"\n"
	                 "[not_a_section]\n"
	                 "\n"
	                 "\tif x:  \n"
	                 "ENDING\n");
	cr_assert_str_eq(reg.langs[0].name, "py",
	                 "'name =' in a block is text");
	cr_assert_str_eq(reg.langs[0].run_cmd[0], "python3",
	                 "keys go on after the block");
	cr_assert_str_eq(reg.langs[1].starter, "package main\n",
	                 "the last line closes without a newline");
	cr_assert_null(sbx_registry_find(&reg, "not_a_section"));
	sbx_registry_fini(&reg);

	cr_assert_eq(parse("[a]\nsource=x\nrun=y\n", &reg, err), 0, "%s", err);
	cr_assert_null(reg.langs[0].starter, "no starter: NULL");
	sbx_registry_fini(&reg);
}

Test(registry, starter_errors_name_the_line)
{
	static const struct bad_case bad[] = {
	        {"[a]\nsource=x\nrun=y\nstarter = print(1)\n",
	         "line 4: starter: expected <<TAG"},
	        {"[a]\nsource=x\nrun=y\nstarter = <<\n",
	         "line 4: starter: bad tag ''"},
	        {"[a]\nsource=x\nrun=y\nstarter = <<E-1\nx\nE-1\n",
	         "line 4: starter: bad tag 'E-1'"},
	        {"[a]\nsource=x\nrun=y\nstarter = <<END\nx\n\n[b]\n",
	         "line 4: starter: no line 'END' closes the block opened here"},
	        {"[a]\nsource=x\nrun=y\nstarter = <<END\nx\nend\n",
	         "line 4: starter: no line 'END'"},
	        {"[a]\nsource=x\nrun=y\nstarter = <<END\nEND\n",
	         "line 5: starter of [a] is empty"},
	        {"[a]\nsource=x\nrun=y\nstarter = <<E\nx\nE\n"
	         "starter = <<E\ny\nE\n",
	         "line 7: 'starter' given twice"},
	        {"[a]\nsource=x\nrun=y\nstarter = <<E\n\xff\xfe\nE\n",
	         "line 6: starter of [a] is not valid UTF-8"},
	        {"starter = <<E\nx\nE\n", "line 1: key outside a [language]"},
	        {"[a]\nstarter = <<E\nx\nE\n", "needs 'source' and 'run'"},
	};
	refused_all(bad, sizeof(bad) / sizeof(bad[0]), "");
}

Test(registry, starter_holds_at_most_4_KiB)
{
	/* 64-byte lines: 63 characters and the newline */
	size_t cap = 200 + 2 * SBX_STARTER_MAX;
	char *text = malloc(cap), line[64];
	struct sbx_registry reg;
	char err[256] = "";
	size_t len, head;

	cr_assert_not_null(text);
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	head = (size_t)snprintf(text, cap,
	                        "[a]\nsource=x\nrun=y\nstarter=<<E\n");
	len = head;
	for (size_t i = 0; i < SBX_STARTER_MAX / 64; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s\n", line);
	len += (size_t)snprintf(text + len, cap - len, "E\n");
	cr_assert_eq(sbx_registry_parse(text, len, &reg, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(strlen(reg.langs[0].starter), SBX_STARTER_MAX,
	             "exactly the limit is allowed");
	sbx_registry_fini(&reg);

	/* one byte more: the 65th line of the block (line 69) overflows */
	len -= 2;
	len += (size_t)snprintf(text + len, cap - len, "\nE\n");
	cr_assert_lt(sbx_registry_parse(text, len, &reg, err, sizeof(err)), 0);
	cr_assert_str_eq(err, "line 69: starter of [a] is longer than 4096 "
	                      "bytes (the block opened at line 4)");
	cr_assert_null(reg.langs);
	free(text);
}

Test(registry, split_command_quoting)
{
	char err[64];
	char **v = sbx_split_command("  a 'b c'  \"d\\\"e\" f\\ g ''", err,
	                             sizeof(err));

	cr_assert_not_null(v);
	cr_assert_str_eq(v[0], "a");
	cr_assert_str_eq(v[1], "b c");
	cr_assert_str_eq(v[2], "d\"e");
	cr_assert_str_eq(v[3], "f g");
	cr_assert_str_eq(v[4], "");
	cr_assert_null(v[5]);
	sbx_argv_free(v);
	cr_assert_null(sbx_split_command("\"open", err, sizeof(err)));
}

Test(registry, programs_the_compile_stage_makes_are_not_looked_up)
{
	struct sbx_registry reg;
	char err[256];
	const char *text =
	        "[c]\nsource=main.c\ncompile=sh -c true\nrun=/box/main\n"
	        "[c2]\nsource=main.c\ncompile=sh -c true\nrun=./a.out\n";

	cr_assert_eq(parse(text, &reg, err), 0, "%s", err);
	sbx_registry_resolve(&reg, NULL);
	cr_assert(reg.langs[0].available);
	cr_assert_str_eq(reg.langs[0].run_cmd[0], "/box/main");
	cr_assert(reg.langs[1].available);
	cr_assert_str_eq(reg.langs[1].run_cmd[0], "/box/a.out");
	sbx_registry_fini(&reg);
}

Test(registry, which_finds_programs_like_the_jail_will)
{
	char *p = sbx_which("sh", NULL);

	cr_assert_not_null(p);
	cr_assert_eq(p[0], '/');
	free(p);
	p = sbx_which("/bin/sh", "/nowhere");
	cr_assert_str_eq(p, "/bin/sh", "a path is taken as it is");
	free(p);
	cr_assert_null(sbx_which("sh", "/nowhere:/also/nowhere"));
	cr_assert_null(sbx_which("no-such-program-here", NULL));
}

Test(registry, requires_patterns_must_each_match_a_file)
{
	struct sbx_registry reg;
	char err[256];
	const char *text =
	        "[ok]\nsource=a\nrun=sh a\nrequires=/bin/s? /etc/host*\n"
	        "[missing]\nsource=a\nrun=sh a\n"
	        "requires=/bin/sh /usr/lib/gcc/*/*/no-such-front-end\n";

	cr_assert_eq(parse(text, &reg, err), 0, "%s", err);
	sbx_registry_resolve(&reg, NULL);
	cr_assert(reg.langs[0].available);
	cr_assert_not(reg.langs[1].available,
	              "a command that exists is not enough");
	sbx_registry_fini(&reg);

	cr_assert_eq(
	        parse("[rel]\nsource=a\nrun=sh a\nrequires=lib/x\n", &reg, err),
	        -EINVAL);
	cr_assert(strstr(err, "line 4: requires: 'lib/x' is not an absolute "
	                      "path"),
	          "%s", err);
}

Test(registry, binds_are_absolute_and_listed_once)
{
	static const char text[] =
	        "[java]\nsource = Main.java\nrun = java Main\n"
	        "binds = /etc/java-17-openjdk\n"
	        "[kotlin]\nsource = m.kt\nrun = kotlin m\n"
	        "binds = /etc/java-17-openjdk /etc/kotlin*\n"
	        "[c]\nsource = main.c\nrun = /box/main\n";
	struct sbx_registry reg;
	const char *const *b;
	char err[256] = "";

	cr_assert_eq(parse(text, &reg, err), 0, "%s", err);
	b = sbx_registry_binds(&reg);
	cr_assert_not_null(b);
	cr_assert_str_eq(b[0], "/etc/java-17-openjdk");
	cr_assert_str_eq(b[1], "/etc/kotlin*");
	cr_assert_null(b[2], "a path two languages need is listed once");
	cr_assert_eq(sbx_registry_binds(&reg), b, "computed once");
	sbx_registry_fini(&reg);

	cr_assert_eq(
	        parse("[x]\nsource = a\nrun = a\nbinds = etc/x\n", &reg, err),
	        -EINVAL);
	cr_assert_str_eq(err, "line 4: binds: 'etc/x' is not an absolute path");
}

Test(registry, the_shipped_languages_name_their_host_paths)
{
	/* what the jail used to carry in its code: each comes from a
	   language now, and the base list has none of them */
	static const char *const want[] = {"/etc/java-17-openjdk", "/etc/mono",
	                                   "/var/lib/ghc", "/etc/gnucobol",
	                                   "/etc/fpc-*.cfg"};
	struct sbx_registry reg;
	const char *const *b;
	char err[256] = "";

	cr_assert_eq(sbx_registry_load(RUNPAD_DATADIR "/languages.conf", &reg,
	                               err, sizeof(err)),
	             0, "%s", err);
	b = sbx_registry_binds(&reg);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;
		for (size_t k = 0; b[k]; k++)
			found |= strcmp(b[k], want[i]) == 0;
		cr_assert(found, "%s is no language's", want[i]);
	}
	sbx_registry_fini(&reg);
}

/* Hundreds of languages and aliases: every name stays unique, case-blind,
 * past the point where the parser's name set has grown several times. */
Test(registry, names_stay_unique_across_many_languages)
{
	enum { N = 700 };
	size_t cap = (size_t)N * 64 + 64;
	char *text = malloc(cap);
	cr_assert_not_null(text);
	size_t len = 0;
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len,
		                        "[l%d]\naliases = a%d B%d\nsource = x\n"
		                        "run = y\n",
		                        i, i, i);
	struct sbx_registry reg;
	char err[256] = "";
	cr_assert_eq(sbx_registry_parse(text, len, &reg, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_eq(reg.n, (size_t)N);
	cr_assert_not_null(sbx_registry_find(&reg, "b699"));
	cr_assert_not_null(sbx_registry_find(&reg, "L0"));
	sbx_registry_fini(&reg);

	static const struct {
		const char *text, *want;
	} late[] = {
	        /* an earlier alias, an earlier id */
	        {"[A3]\nsource = x\nrun = y\n", "already a language"},
	        {"[L5]\nsource = x\nrun = y\n", "already a language"},
	        /* an earlier alias, its own alias, its own id */
	        {"[z]\naliases = b650\nsource = x\nrun = y\n",
	         "'b650' is taken"},
	        {"[z]\naliases = q Q\nsource = x\nrun = y\n", "'Q' is taken"},
	        {"[z]\naliases = Z\nsource = x\nrun = y\n", "'Z' is taken"},
	};
	for (size_t k = 0; k < sizeof(late) / sizeof(late[0]); k++) {
		size_t l2 = len + (size_t)snprintf(text + len, cap - len, "%s",
		                                   late[k].text);
		err[0] = '\0';
		cr_assert_lt(
		        sbx_registry_parse(text, l2, &reg, err, sizeof(err)), 0,
		        "case %zu", k);
		cr_assert(strstr(err, late[k].want), "case %zu: '%s'", k, err);
		cr_assert_null(reg.langs);
	}
	free(text);
}

/* ------------------------------------------------------------ libraries */

static const char libs_reg[] =
        "[cpp]\n"
        "source = main.cpp\n"
        "compile = g++ -o /box/main main.cpp {libs} -lm\n"
        "run = /box/main\n"
        "library = boost libboost-dev\n"
        "library = fmt libfmt-dev -lfmt\n"
        "library = eigen libeigen3-dev -I/usr/include/eigen3\n"
        "library = gone libgone-dev -lgone\n"
        "[java]\n"
        "source = Main.java\n"
        "compile = javac -cp /box{libs:} Main.java\n"
        "run = java -cp /box{libs:} Main\n"
        "library = guava libguava-java /usr/share/java/guava.jar\n"
        "library = nojar libnojar-java /nonexistent/no.jar\n"
        "[rust]\n"
        "source = main.rs\n"
        "compile = rustc main.rs {libs}\n"
        "run = /box/main\n"
        "library = rand librust-rand-dev --extern rand=/nonexistent/librand.rlib\n"
        "[plain]\n"
        "source = x\n"
        "compile = cc -o /box/x x {libs}\n"
        "run = java -cp /box{libs:} X\n";

static const char status_file[] = "Package: libboost-dev\n"
                                  "Status: install ok installed\n"
                                  "Architecture: amd64\n"
                                  "Version: 1.74.0.3\n"
                                  "\n"
                                  "Package: libfmt-dev\n"
                                  "Status: install ok installed\n"
                                  "Version: 9.1.0+ds1-2\n"
                                  "Description: a long\n"
                                  " description: Version: 0.0\n"
                                  "\n"
                                  "Package: libeigen3-dev\n"
                                  "Status: deinstall ok config-files\n"
                                  "Version: 3.4.0-4\n"
                                  "\n"
                                  "Package: libguava-java\n"
                                  "Status: install ok installed\n"
                                  "Version: 1:31.1-1\n"
                                  "\n"
                                  "Package: libnojar-java\n"
                                  "Status: install ok installed\n"
                                  "Version: 2.0-1\n"
                                  "\n"
                                  "Package: librust-rand-dev\n"
                                  "Status: install ok installed\n"
                                  "Version: 0.8.5-1\n";

/* A dpkg admin directory whose status file is status_file. */
static char *write_status(void)
{
	static char dir[] = "/tmp/test_registry_dpkg.XXXXXX";
	char path[sizeof(dir) + 16];
	FILE *f;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/status", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(status_file, f);
	fclose(f);
	return dir;
}

static void remove_status(const char *dir)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/status", dir);
	unlink(path);
	rmdir(dir);
}

static const struct sbx_lib *lib(const struct sbx_lang *l, const char *name)
{
	for (size_t i = 0; i < l->nlibs; i++)
		if (strcmp(l->libs[i].name, name) == 0)
			return &l->libs[i];
	cr_assert_fail("no library %s in [%s]", name, l->id);
	return NULL;
}

static const char *joined(char *const *v)
{
	static char buf[1024];

	buf[0] = '\0';
	for (; v && *v; v++) {
		strcat(buf, buf[0] ? " " : "");
		strcat(buf, *v);
	}
	return buf;
}

/* Installed packages make a library available with the package's upstream
   version; its words go where the commands say, and nothing of the
   others. */
Test(registry, libraries_come_from_dpkg_and_go_into_the_commands)
{
	struct sbx_registry reg;
	char err[256] = "", *status = write_status();
	const struct sbx_lang *cpp, *java, *rust, *plain;

	cr_assert_eq(parse(libs_reg, &reg, err), 0, "%s", err);
	cr_assert_eq(sbx_registry_detect_libraries(&reg, status), 0);
	cpp = sbx_registry_find(&reg, "cpp");
	java = sbx_registry_find(&reg, "java");
	rust = sbx_registry_find(&reg, "rust");
	plain = sbx_registry_find(&reg, "plain");

	cr_assert_eq(cpp->nlibs, 4);
	cr_assert(lib(cpp, "boost")->available);
	cr_assert_str_eq(lib(cpp, "boost")->version, "1.74.0");
	cr_assert_str_eq(lib(cpp, "boost")->package, "libboost-dev");
	cr_assert_str_eq(lib(cpp, "fmt")->version, "9.1.0");
	/* config-files only: removed */
	cr_assert_not(lib(cpp, "eigen")->available);
	cr_assert_null(lib(cpp, "eigen")->version);
	cr_assert_not(lib(cpp, "gone")->available);
	cr_assert_str_eq(joined(cpp->compile_cmd),
	                 "g++ -o /box/main main.cpp -lfmt -lm");
	cr_assert_str_eq(joined(cpp->run_cmd), "/box/main");

	/* the epoch goes; a jar that is not there makes the library absent */
	cr_assert_str_eq(lib(java, "guava")->version, "31.1");
	cr_assert_not(lib(java, "nojar")->available);
	cr_assert_str_eq(joined(java->compile_cmd),
	                 "javac -cp /box:/usr/share/java/guava.jar Main.java");
	cr_assert_str_eq(joined(java->run_cmd),
	                 "java -cp /box:/usr/share/java/guava.jar Main");

	/* --extern rand=PATH: the path after '=' must exist too */
	cr_assert_not(lib(rust, "rand")->available);
	cr_assert_str_eq(joined(rust->compile_cmd), "rustc main.rs");

	/* no libraries: the placeholders go, and nothing comes in */
	cr_assert_str_eq(joined(plain->compile_cmd), "cc -o /box/x x");
	cr_assert_str_eq(joined(plain->run_cmd), "java -cp /box X");

	/* once: a second call (resolve's) changes nothing */
	cr_assert_eq(sbx_registry_detect_libraries(&reg, "/nonexistent"), 0);
	cr_assert(lib(cpp, "fmt")->available);
	sbx_registry_resolve(&reg, NULL); /* makes argv[0] a path */
	cr_assert_str_eq(joined(cpp->compile_cmd + 1),
	                 "-o /box/main main.cpp -lfmt -lm");
	sbx_registry_fini(&reg);
	remove_status(status);
}

/* No dpkg database there: nothing is installed that anyone can tell. */
Test(registry, libraries_without_a_status_file_are_absent)
{
	struct sbx_registry reg;
	char err[256] = "";

	cr_assert_eq(parse(libs_reg, &reg, err), 0, "%s", err);
	cr_assert_eq(sbx_registry_detect_libraries(&reg, "/nonexistent"), 0);
	for (size_t i = 0; i < reg.n; i++)
		for (size_t k = 0; k < reg.langs[i].nlibs; k++)
			cr_assert_not(reg.langs[i].libs[k].available);
	cr_assert_str_eq(joined(sbx_registry_find(&reg, "cpp")->compile_cmd),
	                 "g++ -o /box/main main.cpp -lm");
	sbx_registry_fini(&reg);
}

Test(registry, library_lines_are_checked)
{
	static const struct bad_case bad[] = {
	        {"library = numpy\n", "line 4: library: expected NAME PACKAGE"},
	        {"library =\n", "expected NAME PACKAGE"},
	        {"library = num/py python3-numpy\n", "bad name 'num/py'"},
	        {"library = numpy Python3-Numpy\n",
	         "'Python3-Numpy' is not a Debian package name"},
	        {"library = numpy python3-numpy\nlibrary = numpy python3-numpy\n",
	         "line 5: library 'numpy' given twice"},
	        {"library = x p 'open\n", "unterminated '"},
	};
	refused_all(bad, sizeof(bad) / sizeof(bad[0]),
	            "[a]\nsource=x\nrun=y\n");
}

/* The shipped registry: every library names a package, and the Makefile's
   default set installs the packages of the default languages' libraries. */
Test(registry, the_shipped_libraries_are_installed_by_make_deps)
{
	struct sbx_registry reg;
	char err[256] = "", mk[1 << 16];
	FILE *f = fopen(RUNPAD_DATADIR "/../Makefile", "r");
	size_t n;

	cr_assert_eq(sbx_registry_load(RUNPAD_DATADIR "/languages.conf", &reg,
	                               err, sizeof(err)),
	             0, "%s", err);
	cr_assert_not_null(f);
	n = fread(mk, 1, sizeof(mk) - 1, f);
	mk[n] = '\0';
	fclose(f);
	for (size_t i = 0; i < reg.n; i++)
		for (size_t k = 0; k < reg.langs[i].nlibs; k++) {
			char want[200];
			const char *p = reg.langs[i].libs[k].package;
			snprintf(want, sizeof(want), " %s", p);
			/* the crates' -dev packages are named with their feature */
			if (strncmp(p, "librust-", 8) == 0)
				continue;
			cr_assert(
			        strstr(mk, want),
			        "[%s] library %s: the Makefile's DEPS_LIBS lacks %s",
			        reg.langs[i].id, reg.langs[i].libs[k].name, p);
		}
	sbx_registry_fini(&reg);
}

/* ------------------------------------------------------ variants, options */

static const char variants_reg[] =
        "[c]\n"
        "name = C\n"
        "aliases = gcc\n"
        "source = main.c\n"
        "version = gcc --version\n"
        "compile = gcc -std={std} {opt} -o /box/main main.c {libs}\n"
        "run = /box/main {args}\n"
        "mode = c\n"
        "env = A=1\n"
        "limits = memory=128M\n"
        "variant = gcc-12\n"
        "option = std gnu17 c11 c99\n"
        "option = opt -O2 -O0 none=\n"
        "library = fmt libfmt-dev -lfmt\n"
        "[c/clang-15]\n"
        "version = clang-15 --version\n"
        "compile = clang-15 -std={std} {opt} -o /box/main main.c {libs}\n"
        "[python]\n"
        "source = main.py\n"
        "run = python3 main.py\n"
        "variant = cpython\n"
        "library = numpy python3-numpy\n"
        "[python/pypy]\n"
        "run = pypy3 {mode} main.py\n"
        "option = mode fast=-X,jit quiet=\n"
        "libraries = none\n";

/* A variant is its language's toolchain: found only through it, and it
   takes what it does not say from it. */
Test(registry, variants_take_their_language_and_are_not_languages)
{
	struct sbx_registry reg;
	char err[256] = "";
	const struct sbx_lang *c, *v[4];

	cr_assert_eq(parse(variants_reg, &reg, err), 0, "%s", err);
	cr_assert_eq(reg.n, 4);
	cr_assert_eq(sbx_registry_count(&reg, NULL), 2);
	c = sbx_registry_find(&reg, "c");
	cr_assert_str_eq(c->variant, "gcc-12");
	cr_assert_not(c->is_variant);
	cr_assert_eq(sbx_registry_variants(&reg, c, v, 4), 2);
	cr_assert_eq(v[0], c);
	cr_assert(v[1]->is_variant);
	cr_assert_str_eq(v[1]->id, "c");
	cr_assert_str_eq(v[1]->variant, "clang-15");
	cr_assert_str_eq(v[1]->name, "C");
	cr_assert_str_eq(v[1]->source, "main.c");
	cr_assert_str_eq(v[1]->mode, "c");
	cr_assert_str_eq(joined(v[1]->run_cmd), "/box/main {args}");
	cr_assert_str_eq(joined(v[1]->env), "A=1");
	cr_assert_str_eq(joined(v[1]->limits), "memory=128M");
	cr_assert_str_eq(
	        joined(v[1]->compile_cmd),
	        "clang-15 -std={std} {opt} -o /box/main main.c {libs}");
	cr_assert_eq(v[1]->noptions, 2, "options are inherited");
	cr_assert_eq(v[1]->nlibs, 1, "libraries are inherited");
	cr_assert_eq(v[1]->aliases[0], NULL, "aliases are not");
	/* the base is found by its aliases; a variant never */
	cr_assert_eq(sbx_registry_find(&reg, "gcc"), c);
	cr_assert_null(sbx_registry_find(&reg, "clang-15"));
	cr_assert_null(sbx_registry_find(&reg, "c/clang-15"));

	/* PyPy: its own option, no libraries */
	const struct sbx_lang *py = sbx_registry_find(&reg, "python"), *pv[3];
	cr_assert_eq(sbx_registry_variants(&reg, py, pv, 3), 2);
	cr_assert_eq(pv[1]->nlibs, 0);
	cr_assert_eq(pv[1]->noptions, 1);
	cr_assert_eq(py->noptions, 0);
	sbx_registry_fini(&reg);
}

/* Options: the default is the first value; a whole-word placeholder takes
   the value's words (none for `none=`), one inside a word its first. */
Test(registry, options_fill_the_commands)
{
	struct sbx_registry reg;
	char err[256] = "";
	const struct sbx_lang *c, *v[4];
	char **a;
	const char *args[] = {"x", NULL};

	cr_assert_eq(parse(variants_reg, &reg, err), 0, "%s", err);
	c = sbx_registry_find(&reg, "c");
	cr_assert_str_eq(c->options[0].name, "std");
	cr_assert_str_eq(c->options[0].values[0].value, "gnu17");
	cr_assert_str_eq(c->options[1].values[2].value, "none");
	cr_assert_null(c->options[1].values[2].words[0]);

	a = sbx_lang_command(c, (const char *const *)c->compile_cmd, NULL,
	                     NULL);
	cr_assert_str_eq(joined(a),
	                 "gcc -std=gnu17 -O2 -o /box/main main.c {libs}");
	sbx_argv_free(a);
	a = sbx_lang_command(c, (const char *const *)c->compile_cmd,
	                     (size_t[]){2, 2}, NULL);
	cr_assert_str_eq(joined(a), "gcc -std=c99 -o /box/main main.c {libs}");
	sbx_argv_free(a);
	a = sbx_lang_command(c, (const char *const *)c->run_cmd, NULL, args);
	cr_assert_str_eq(joined(a), "/box/main x");
	sbx_argv_free(a);

	sbx_registry_variants(&reg, sbx_registry_find(&reg, "python"), v, 4);
	a = sbx_lang_command(v[1], (const char *const *)v[1]->run_cmd,
	                     (size_t[]){0}, NULL);
	cr_assert_str_eq(joined(a), "pypy3 -X jit main.py");
	sbx_argv_free(a);
	a = sbx_lang_command(v[1], (const char *const *)v[1]->run_cmd,
	                     (size_t[]){1}, NULL);
	cr_assert_str_eq(joined(a), "pypy3 main.py");
	sbx_argv_free(a);
	sbx_registry_fini(&reg);
}

Test(registry, variant_and_option_lines_are_checked)
{
	static const struct bad_case bad[] = {
	        {"[a/b]\nrun=y\n", "no language [a] before it"},
	        {"[a]\nsource=x\nrun=y\nvariant=v\n[a/v]\n",
	         "[a] has a variant 'v' already"},
	        {"[a]\nsource=x\nrun=y\n[a/b]\n[a/B]\n",
	         "has a variant 'B' already"},
	        {"[a]\nsource=x\nrun=y\n[a/b c]\n", "bad variant id"},
	        {"[a]\nsource=x\nrun=y\n[a/b]\naliases=z\n",
	         "'aliases' belongs to [a], not to a variant"},
	        {"[a]\nsource=x\nrun=y\n[a/b]\nsource=z\n", "'source' belongs"},
	        {"[a]\nsource=x\nrun=y\n[a/b]\nstarter=<<E\nx\nE\n",
	         "'starter' belongs"},
	        {"[a]\nsource=x\nrun=y\nlibraries=none\n",
	         "'libraries = none' is for a variant"},
	        {"[a]\nsource=x\nrun=y {std}\n",
	         "a command has {std}, which is not one of its options"},
	        {"[a]\nsource=x\nrun=y\noption=std c11\n",
	         "option 'std' is in no command as {std}"},
	        {"[a]\nsource=x\nrun=y {o}\noption=o\n",
	         "option: expected NAME VALUE"},
	        {"[a]\nsource=x\nrun=y {o}\noption=o a a\n",
	         "option o: value 'a' given twice"},
	        {"[a]\nsource=x\nrun=y {o}\noption=o a\noption=o b\n",
	         "option 'o' given twice"},
	        {"[a]\nsource=x\nrun=y {o}\noption=o a/b\n",
	         "option value 'a/b' is not"},
	        {"[a]\nsource=x\nrun=y {args}\noption=args a\n",
	         "option: bad name 'args'"},
	        {"[a]\nsource=x\nrun=y\n[a/b]\nrun=z {m}\n",
	         "[a/b]: a command has {m}"},
	};
	refused_all(bad, sizeof(bad) / sizeof(bad[0]), "");
}

/* Each shipped variant is resolved and versioned as a language is, and a
   language's options are the same for all its toolchains. */
Test(registry, the_shipped_variants_resolve_alone)
{
	struct sbx_registry reg;
	char err[256] = "";
	const struct sbx_lang *c, *v[8];
	size_t n;

	cr_assert_eq(sbx_registry_load(RUNPAD_DATADIR "/languages.conf", &reg,
	                               err, sizeof(err)),
	             0, "%s", err);
	c = sbx_registry_find(&reg, "cpp");
	n = sbx_registry_variants(&reg, c, v, 8);
	cr_assert_eq(n, 4, "g++ and clang++ 14, 15, 16");
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(v[i]->noptions, c->noptions);
		cr_assert_eq(v[i]->nlibs, c->nlibs);
	}
	sbx_registry_resolve(&reg, NULL);
	if (access("/usr/bin/clang++-15", X_OK) == 0) {
		cr_assert(v[2]->available);
		cr_assert_str_eq(v[2]->compile_cmd[0], "/usr/bin/clang++-15");
	} else {
		cr_assert_not(v[2]->available);
	}
	sbx_registry_fini(&reg);
}
