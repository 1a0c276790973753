// ESLint for the web app: ESLint's and typescript-eslint's recommended
// rules with type information (the same tsconfig.json as `npm run
// typecheck`), the rules of React hooks, and nothing about layout: that is
// prettier's, and eslint-config-prettier turns off every rule that would
// disagree with it.  `make lint-web` runs this with --max-warnings 0.
import js from "@eslint/js";
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";
import prettier from "eslint-config-prettier";
import { defineConfig, globalIgnores } from "eslint/config";

export default defineConfig([
  globalIgnores(["dist/", "node_modules/"]),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // as tsc's noUnusedLocals: `const { key, ...rest } = x` names what it leaves out
      "@typescript-eslint/no-unused-vars": ["error", { ignoreRestSiblings: true }],
    },
  },
  {
    files: ["src/**/*.{ts,tsx}"],
    extends: [reactHooks.configs.flat.recommended],
  },
  {
    // The config files beside package.json are outside tsconfig.json (it
    // holds src/, for the browser; these run in Node), so they are linted
    // without type information.
    files: ["*.js", "*.ts"],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
]);
