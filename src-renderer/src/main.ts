import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createAppRouter } from './router/index.ts';
import { detectHostApi, installApi } from './api/index.ts';
import './styles/base.css';

installApi(detectHostApi());
createApp(App).use(createPinia()).use(createAppRouter()).mount('#app');
