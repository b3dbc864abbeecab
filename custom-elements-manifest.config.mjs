// custom-elements.json: the elements' tags, attributes, properties, events, slots, CSS
// parts and CSS custom properties, read from the class JSDoc in src/components/.
// `npm run analyze` (part of `npm run build`) writes it to the repository root; the
// package names it in `"customElements"` and ships it.

/**
 * Our define files call `defineElement('rtc-call', RtcCall)` (a guarded
 * `customElements.define`), which the analyzer does not know. This plugin records each
 * such call as a `custom-element-definition`, so the class gets its `tagName`.
 */
function defineElementCalls() {
  return {
    name: 'rtc-elements: defineElement() calls',
    analyzePhase({ ts, node, moduleDoc }) {
      if (!ts.isCallExpression(node) || !ts.isIdentifier(node.expression) || node.expression.text !== 'defineElement') return;
      const [tag, klass] = node.arguments;
      if (!tag || !klass || !ts.isStringLiteral(tag) || !ts.isIdentifier(klass)) return;
      moduleDoc.exports = [
        ...(moduleDoc.exports ?? []),
        {
          kind: 'custom-element-definition',
          name: tag.text,
          declaration: { name: klass.text, module: classModule(ts, node.getSourceFile(), klass.text, moduleDoc.path) },
        },
      ];
    },
  };
}

/** The module a define file imports its class from (`./call.js` → `src/components/call/call.ts`). */
function classModule(ts, sourceFile, name, path) {
  for (const statement of sourceFile.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue;
    const bindings = statement.importClause?.namedBindings;
    if (bindings && ts.isNamedImports(bindings) && bindings.elements.some((e) => e.name.text === name)) {
      const dir = path.slice(0, path.lastIndexOf('/') + 1);
      return new URL(statement.moduleSpecifier.text.replace(/\.js$/, '.ts'), `file:///${dir}`).pathname.slice(1);
    }
  }
  return path;
}

/**
 * Elements fire `new RtcJoinedEvent(...)`: the analyzer sees the dispatch but not the
 * event's name (it is in the class's `super('rtc-joined', ...)`), and lists a nameless
 * event beside the `@fires rtc-joined` one. This plugin learns each event class's name
 * from src/components/shared/events.ts, folds the type into the named entry, and types
 * every `@fires` entry whose name an event class carries.
 */
function typedEvents() {
  /** Event class name → event name, e.g. `RtcJoinedEvent` → `rtc-joined`. */
  const names = new Map();
  return {
    name: 'rtc-elements: typed events',
    analyzePhase({ ts, node }) {
      if (!ts.isClassDeclaration(node) || !node.name) return;
      node.forEachChild(function visit(child) {
        if (ts.isCallExpression(child) && child.expression.kind === ts.SyntaxKind.SuperKeyword) {
          const [first] = child.arguments;
          if (first && ts.isStringLiteral(first)) names.set(node.name.text, first.text);
        }
        child.forEachChild(visit);
      });
    },
    packageLinkPhase({ customElementsManifest }) {
      for (const module of customElementsManifest.modules) {
        for (const declaration of module.declarations ?? []) {
          if (!declaration.events) continue;
          const named = new Map(declaration.events.filter((e) => e.name).map((e) => [e.name, e]));
          for (const event of declaration.events.filter((e) => !e.name)) {
            const name = names.get(event.type?.text);
            if (!name) continue;
            const target = named.get(name);
            if (target) target.type ??= event.type;
            else named.set(name, { ...event, name });
          }
          // Every event named in `@fires` gets its class as its type, dispatched where the analyzer looks or not.
          const classes = new Map([...names].map(([klass, name]) => [name, klass]));
          for (const [name, event] of named) if (!event.type && classes.has(name)) event.type = { text: classes.get(name) };
          declaration.events = [...named.values()];
        }
      }
    },
  };
}

/**
 * Module paths as the package ships them: the analyzer reads `src/x.ts` (and writes
 * references as `/src/x.js`, the import specifier), but the package holds `dist/x.js`.
 */
function shippedModulePaths() {
  const shipped = (path) => path.replace(/^\/?src\/(.*)\.(ts|js)$/, 'dist/$1.js');
  return {
    name: 'rtc-elements: shipped module paths',
    packageLinkPhase({ customElementsManifest }) {
      const fix = (value) => {
        if (Array.isArray(value)) return value.forEach(fix);
        if (!value || typeof value !== 'object') return;
        for (const [key, inner] of Object.entries(value)) {
          if (key === 'module' && typeof inner === 'string') value.module = shipped(inner);
          else fix(inner);
        }
      };
      for (const module of customElementsManifest.modules) module.path = shipped(module.path);
      fix(customElementsManifest.modules);
    },
  };
}

export default {
  globs: ['src/components/**/*.ts'],
  // Styles, icons and helpers that are no part of any element's API.
  exclude: [
    'src/components/**/*.styles.ts',
    'src/components/shared/{define,styles,icons,media-binding}.ts',
    'src/components/call/{announcements,recorder,script-origin}.ts',
  ],
  outdir: '.',
  litelement: true,
  packagejson: false,
  plugins: [defineElementCalls(), typedEvents(), shippedModulePaths()],
};
