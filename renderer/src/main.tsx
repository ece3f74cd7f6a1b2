/** Renderer entry: pick the API (preload bridge or web mode), make the store, render. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, NoBackend } from './App';
import { getApi } from './api/get-api';
import { createFieldbootStore } from './store/fieldboot-store';
import './styles.css';

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('index.html has no #root');
const choice = getApi();
createRoot(rootElement).render(
  <StrictMode>{choice.ok ? <App store={createFieldbootStore(choice.api)} mode={choice.mode} /> : <NoBackend reason={choice.reason} />}</StrictMode>,
);
